#!/usr/bin/env bash
# Runs Bazel inside the build root, creating the root on first use.
# With --run as first argument, runs the given command there instead (tools/buildenv/run).
#
# The root is a Debian 13 system with Debian's Bazel 7 (see packages.txt), cached under
# ~/.cache/fastapi_rules/buildenv/<recipe hash>/ and rebuilt whenever the recipe changes.
# It is entered in a private mount namespace: the workspace and Bazel's output root are
# mounted at the same paths inside and out, so bazel-bin/... resolves from the host shell,
# and every mount disappears with the namespace's last process.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
workspace=$(cd "$here/../.." && pwd)
home=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}
cache_home=${XDG_CACHE_HOME:-$home/.cache}/fastapi_rules

die() {
  echo "tools/bazel: $*" >&2
  exit 1
}

if [[ $(id -u) -ne 0 ]]; then
  die "the build environment needs root to create and enter its Debian root: run 'sudo tools/bazel $*', or put Bazel 7.7.1 on PATH"
fi
for tool in unshare nsenter chroot mount flock sha256sum md5sum; do
  command -v "$tool" >/dev/null || die "'$tool' is missing: apt-get install util-linux coreutils"
done
# The root is entered in a mount namespace of its own: root without CAP_SYS_ADMIN (a
# container started without --privileged) cannot make one, and would otherwise fail
# further on in unshare's or nsenter's words.
if ! failure=$(unshare --mount true 2>&1); then
  die "cannot make a mount namespace to enter the build root (${failure##*: }): it needs root with CAP_SYS_ADMIN (in a container: --privileged), or put Bazel 7.7.1 on PATH"
fi

# The recipe: everything that decides the root's contents, including the CAs it trusts.
recipe_hash=$(
  cat "$here/packages.txt" "$here/bootstrap.sh" "$here/customize.sh" \
    /dev/null $(compgen -G '/usr/local/share/ca-certificates/*.crt' || true) |
    sha256sum | cut -c1-16
)
root=$cache_home/buildenv/$recipe_hash
state=$cache_home/bazel
mkdir -p "$cache_home/buildenv" "$state/output_user_root" "$state/repository_cache" "$state/disk_cache"

if [[ ! -x $root/usr/bin/bazel ]]; then
  exec 9>"$cache_home/buildenv/.lock"
  flock 9
  # Another first run may have finished it while this one waited for the lock.
  if [[ ! -x $root/usr/bin/bazel ]]; then
    if ! command -v mmdebstrap >/dev/null; then
      if command -v apt-get >/dev/null; then
        echo "tools/bazel: installing mmdebstrap (Debian package) to create the build root" >&2
        apt-get install -y -qq mmdebstrap >/dev/null 2>&1 ||
          { apt-get update -qq >/dev/null && apt-get install -y -qq mmdebstrap >/dev/null; } ||
          die "could not install mmdebstrap: run 'apt-get install mmdebstrap'"
      else
        die "mmdebstrap is missing: install it from Debian ('apt-get install mmdebstrap')"
      fi
    fi
    echo "tools/bazel: creating the build root (Debian 13 + Bazel 7.7.1, about 1 GB, once) in $root" >&2
    started=$SECONDS
    "$here/bootstrap.sh" "$root" || die "creating the build root failed; see the messages above"
    echo "tools/bazel: build root ready in $((SECONDS - started)) s" >&2
    # Roots of other recipes stay while a checkout uses them: two clones at commits with
    # different recipes (a branch, CI's clean clone) would otherwise delete each other's
    # root and stop each other's Bazel server at every command. A root unused for 14
    # days is dead weight; one with a live Bazel server in it is never removed.
    for old_root in "$cache_home"/buildenv/*/; do
      old_root=${old_root%/}
      [[ $old_root == "$root" || $old_root == *.partial.* ]] && continue
      [[ -z $(find "$old_root/.last-used" -mtime -14 2>/dev/null) ]] || continue
      in_use=
      for pid_file in "$state"/output_user_root/*/server/server.pid.txt; do
        [[ $(readlink "/proc/$(cat "$pid_file" 2>/dev/null)/root" 2>/dev/null) == "$old_root" ]] && in_use=yes
      done
      [[ -n $in_use ]] || rm -rf --one-file-system "$old_root"
    done
  fi
  exec 9>&-
fi

touch "$root/.last-used"

# Flags with absolute paths of this machine and checkout, one file per checkout: the
# caches, and the stand-ins for the modules bazel_tools asks for that nothing here builds
# (zlib, protobuf, buildozer, apple_support; the root's Debian packages provide the
# others, see /etc/bazel/bazelrc inside it). Absolute, so that a Bazel workspace nested in
# this checkout (e2e/consumer) finds them too.
machine_rc=$state/rc/$(printf '%s' "$workspace" | md5sum | cut -c1-32).bazelrc
mkdir -p "$state/rc"
{
  printf 'common --repository_cache=%s\ncommon --disk_cache=%s\n' \
    "$state/repository_cache" "$state/disk_cache"
  for stub in "$here"/stub_modules/*/; do
    stub=${stub%/}
    printf 'common --override_module=%s=%s\n' "${stub##*/}" "$stub"
  done
} >"$machine_rc.$$"
mv "$machine_rc.$$" "$machine_rc"

# The caller's environment crosses, less what the root must own (see environment.sh).
mapfile -d '' passed_env < <("$here/environment.sh")
wait $! || die "tools/buildenv/environment.sh failed"
# Run targets that act on this machine (oci_load into its container engine, oci_push with
# its registry credentials) do so from the calling shell's mount namespace, PATH and HOME.
passed_env+=("OCI_HOST_MOUNT_NS=/proc/$PPID/ns/mnt" "OCI_HOST_PATH=$PATH" "OCI_HOST_HOME=$home")
# The package indexes are this machine's: read them here, where its configuration lives.
if [[ -z ${PIP_INDEX_URL:-} ]] && command -v pip3 >/dev/null; then
  index=$(pip3 config get global.index-url 2>/dev/null || true)
  [[ -n $index ]] && passed_env+=("PIP_INDEX_URL=$index")
fi
if [[ -z ${NPM_CONFIG_REGISTRY:-} ]] && command -v npm >/dev/null; then
  registry=$(npm config get registry 2>/dev/null || true)
  [[ -n $registry ]] && passed_env+=("NPM_CONFIG_REGISTRY=$registry")
fi
passed_env+=("FASTAPI_RULES_DEBIAN_MIRROR=$("$here/debian_mirror.sh")")

workdir=$PWD
[[ $workdir == "$workspace" || $workdir == "$workspace"/* ]] || workdir=$workspace

if [[ ${1:-} == --run ]]; then
  shift
  bazel_command=("$@")
else
  bazel_command=(bazel --output_user_root="$state/output_user_root"
    --bazelrc="$machine_rc" "$@")
fi

# A running Bazel server of this workspace lives in the mount namespace that started it.
# The client must join that namespace: from any other, the server's working directory
# looks different and the client restarts the server, losing its analysis cache.
bazel_workspace=$workdir
until [[ -e $bazel_workspace/MODULE.bazel || -e $bazel_workspace/WORKSPACE || $bazel_workspace == "$workspace" ]]; do
  bazel_workspace=$(dirname "$bazel_workspace")
done
output_base=$state/output_user_root/$(printf '%s' "$bazel_workspace" | md5sum | cut -c1-32)
server_pid=$(cat "$output_base/server/server.pid.txt" 2>/dev/null || true)
if [[ -n $server_pid && $(readlink "/proc/$server_pid/root" 2>/dev/null) == "$root" ]]; then
  exec nsenter --target "$server_pid" --mount --root --wd -- \
    /usr/bin/env -i --chdir="$workdir" -- "${passed_env[@]}" "${bazel_command[@]}"
fi
# This workspace's server still running in another recipe's root would go on building
# with that root's tools: stop it, the next command starts one here.
if [[ -n $server_pid ]] && server_root=$(readlink "/proc/$server_pid/root" 2>/dev/null) &&
  [[ $server_root == "$cache_home"/buildenv/* ]]; then
  kill "$server_pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$server_pid" 2>/dev/null || true
fi

exec unshare --mount --propagation private -- \
  "$here/namespace.sh" "$root" "$workspace" "$state" "$workdir" "${passed_env[@]}" -- \
  "${bazel_command[@]}"
