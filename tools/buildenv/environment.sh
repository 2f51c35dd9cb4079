#!/usr/bin/env bash
# Prints the environment that commands inside the build root get, as NUL-terminated
# NAME=VALUE entries: the caller's own, so that `bazel run`, `--test_env=NAME` and
# `--action_env=NAME` see what a native Bazel would, minus what the root must own.
# Read with `mapfile -d ''`: values keep their newlines and spaces.
#
# enter.sh is the only caller (both of its ways into the root); the launcher adds the
# package indexes and the Debian mirror after these entries.
set -euo pipefail

# The root's own programs, libraries, Python and Java, never the host's: host library
# paths load host libraries into the root's programs; a host JAVA_HOME Bazel warns
# about on every command, and @local_jdk would point at it. HOME and USER are the root's,
# where its user-level configuration lives.
printf '%s\0' PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  HOME=/root USER=root LOGNAME=root

lang=
while IFS= read -r -d '' entry; do
  name=${entry%%=*}
  # An entry without a name, or without "=", would reach env(1) as a command to run.
  [[ $entry == *=* && -n $name ]] || continue
  case $name in
    PATH | HOME | USER | LOGNAME | LD_* | PYTHONHOME | PYTHONPATH | JAVA_HOME) continue ;;
    # tools/bazel's own switches (BAZEL_REAL) and Bazel's host settings (BAZEL_SH...)
    # name host programs.
    BAZEL_*) continue ;;
    # Host directories: the root has its own empty /tmp, where mktemp, Python and Bazel
    # put temporary files when these are unset.
    TMPDIR | TMP | TEMP) continue ;;
    # Shell bookkeeping of the caller's shell, meaningless in the root's.
    SHLVL | PWD | OLDPWD | _) continue ;;
    # The root has no locales but the ones glibc builds in. Any other name leaves its
    # programs, Bazel's JVM among them, in ASCII and with a warning; C.UTF-8 instead.
    LANG | LC_*)
      case ${entry#*=} in
        C | POSIX | C.UTF-8 | C.utf8) ;;
        *) continue ;;
      esac
      if [[ $name == LANG ]]; then lang=set; fi
      ;;
  esac
  printf '%s\0' "$entry"
done < <(env -0)
[[ -n $lang ]] || printf '%s\0' LANG=C.UTF-8
