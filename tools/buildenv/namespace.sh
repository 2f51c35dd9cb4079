#!/usr/bin/env bash
# Inside a fresh private mount namespace: mounts what the build root needs, then runs
# the command in it. Usage: namespace.sh ROOT WORKSPACE STATE WORKDIR [NAME=VALUE...] -- CMD...
set -euo pipefail
root=$1 workspace=$2 state=$3 workdir=$4
shift 4
env=()
while [[ $1 != -- ]]; do
  env+=("$1")
  shift
done
shift

# A bind of the root onto itself makes it a mount point, which podman inside needs.
mount --bind "$root" "$root"
mount -t proc proc "$root/proc"
mount --rbind /sys "$root/sys"
mount --rbind /dev "$root/dev"
mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
for file in /etc/resolv.conf /etc/hosts; do
  [[ -e $file ]] && mount --bind "$file" "$root$file"
done
for path in "$workspace" "$state"; do
  mkdir -p "$root$path"
  mount --bind "$path" "$root$path"
done

# env(1) rather than a shell changes directory: sh would drop variables whose names are
# not shell identifiers, which a native Bazel passes on.
exec chroot "$root" /usr/bin/env -i --chdir="$workdir" -- "${env[@]}" "$@"
