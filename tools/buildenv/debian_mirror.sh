#!/usr/bin/env bash
# Prints the Debian mirror URI this machine's apt uses, so that no mirror host is
# written into the repository. FASTAPI_RULES_DEBIAN_MIRROR overrides it.
set -euo pipefail

if [[ -n ${FASTAPI_RULES_DEBIAN_MIRROR:-} ]]; then
  echo "$FASTAPI_RULES_DEBIAN_MIRROR"
  exit 0
fi

# Both source formats: one-line "deb URI suite ..." and deb822 "URIs: URI ...".
uris=$(
  cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
    awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }'
  cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
    awk 'tolower($1) == "uris:" { for (i = 2; i <= NF; i++) print $i }'
)
# The main archive is the one whose path ends in /debian (not -security, not a vendor's).
mirror=$(grep -E '^[a-z]+://[^ ]+/debian/?$' <<<"$uris" | head -n 1 || true)
if [[ -z $mirror ]]; then
  echo "tools/buildenv: no Debian mirror found in /etc/apt/sources.list*; set FASTAPI_RULES_DEBIAN_MIRROR=<URI of a Debian archive>" >&2
  exit 1
fi
echo "${mirror%/}"
