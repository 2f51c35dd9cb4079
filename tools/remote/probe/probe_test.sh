#!/bin/sh
# The probe's test: its digest lists two files.
test "$(wc -l < "$1")" -eq 2
