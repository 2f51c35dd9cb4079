#!/usr/bin/env bash
# Builds the build root described by packages.txt into the directory given as $1.
# Called by enter.sh under a lock; writes to a temporary sibling first so that an
# interrupted bootstrap never leaves a half-made root behind.
set -euo pipefail

target=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mirror=$("$here/debian_mirror.sh")

packages=()
while read -r line; do
  line=${line%%#*}
  line=${line//[[:space:]]/}
  [[ -n $line ]] && packages+=("$line")
done <"$here/packages.txt"
include=$(IFS=,; echo "${packages[*]}")

staging="$target.partial.$$"
rm -rf "$staging"
trap 'rm -rf "$staging"' EXIT

# Debian's snapshot mirrors serve Release files past their Valid-Until date.
# Unstable is pinned low so only the packages asked for as NAME/sid come from it.
mmdebstrap \
  --quiet \
  --mode=root \
  --variant=apt \
  --aptopt='Acquire::Check-Valid-Until "false"' \
  --setup-hook='mkdir -p "$1/etc/apt/preferences.d"' \
  --setup-hook='printf "Package: *\nPin: release n=trixie\nPin-Priority: 900\n\nPackage: *\nPin: release n=sid\nPin-Priority: 100\n" >"$1/etc/apt/preferences.d/unstable-low"' \
  --customize-hook="$here/customize.sh \"\$1\"" \
  --include="$include" \
  trixie "$staging" \
  "deb $mirror trixie main" \
  "deb $mirror sid main"

mv "$staging" "$target"
trap - EXIT
