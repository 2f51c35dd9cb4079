#!/usr/bin/env bash
# Final touches to a fresh build root ($1), run by mmdebstrap before it is sealed.
set -euo pipefail
root=$1

# This machine may trust extra certificate authorities (a TLS-inspecting proxy, a
# company CA). pip, Bazel's downloader and Java's cacerts inside the root need them too.
if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
fi
chroot "$root" update-ca-certificates --fresh >/dev/null 2>&1

# apt inside the root is never used again; the package lists only take space.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin
chroot "$root" dpkg-query -W -f '${Package}\t${Version}\n' >"$root/etc/buildenv-packages.tsv"
