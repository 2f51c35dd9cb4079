#!/usr/bin/env bash
# Makes this machine's own shell able to run what `tools/bazel run //<service>:load` loads
# and push what `:push` pushes: podman and skopeo from Debian, on the host (the build
# environment has its own; these are the user's). Run as root; safe to run again.
#
# Debian 12's podman 4.3 run as root on a host with hybrid cgroups needs two settings
# (tools/buildenv/README.md): runc instead of crun ("cgroups in
# hybrid mode not supported"), and no default ulimits ("error setting rlimit type 7").
# They go into a drop-in of their own, never into an existing containers.conf.
set -euo pipefail

die() {
  echo "tools/buildenv/host_engine.sh: $*" >&2
  exit 1
}

[[ $(id -u) -eq 0 ]] || die "run as root: it installs Debian packages"
missing=()
for tool in podman skopeo runc; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  command -v apt-get >/dev/null || die "install ${missing[*]} with this system's package manager"
  echo "installing ${missing[*]} (Debian packages)" >&2
  apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null && apt-get install -y -qq "${missing[@]}" >/dev/null; } ||
    die "could not install ${missing[*]}: run 'apt-get install ${missing[*]}'"
fi

version=$(podman version --format '{{.Client.Version}}' 2>/dev/null || podman --version | grep -oE '[0-9]+\.[0-9.]+')
dropin=/etc/containers/containers.conf.d/50-fastapi-rules.conf
if [[ ${version%%.*} -lt 5 && ! -e $dropin ]]; then
  mkdir -p "$(dirname "$dropin")"
  cat >"$dropin" <<'CONF'
# Written by fastapi_rules' tools/buildenv/host_engine.sh for podman 4 run as root:
# crun cannot create containers on hosts with hybrid cgroups, and setting the default
# RLIMIT_NOFILE fails there.
[containers]
default_ulimits = []

[engine]
runtime = "runc"
CONF
  echo "wrote $dropin (runc, no default ulimits) for podman $version" >&2
fi
echo "podman $version and $(skopeo --version) are ready on this machine"
