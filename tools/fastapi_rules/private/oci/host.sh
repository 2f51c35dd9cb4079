# Sourced by the oci_load and oci_push scripts: runs a command on the machine whose shell
# called `bazel run`.
#
# Where Bazel itself runs inside a build container or root, the caller's container engine,
# its image store, registry credentials and configuration are not in there. A launcher that
# runs Bazel that way names the caller's mount namespace in OCI_HOST_MOUNT_NS (and its PATH
# and HOME in OCI_HOST_PATH and OCI_HOST_HOME): commands then run there, with paths that
# are the same on both sides (Bazel's output base is mounted at its own path). With Bazel
# running natively, OCI_HOST_MOUNT_NS is unset and commands run as they are.
on_host() {
  if [[ -z ${OCI_HOST_MOUNT_NS:-} ]]; then
    "$@"
    return
  fi
  if [[ ! -e $OCI_HOST_MOUNT_NS ]]; then
    echo "$script_name: the shell that ran bazel is gone ($OCI_HOST_MOUNT_NS); run the command again" >&2
    exit 1
  fi
  nsenter --mount="$OCI_HOST_MOUNT_NS" -- /usr/bin/env \
    PATH="${OCI_HOST_PATH:-$PATH}" HOME="${OCI_HOST_HOME:-$HOME}" "$@"
}

# host_has TOOL: whether TOOL is on the caller's PATH.
host_has() {
  on_host sh -c 'command -v "$0"' "$1" >/dev/null 2>&1
}
