#!/usr/bin/env bash
# Pushes the image of every service to REGISTRY/<service name>, tagged with the commit and
# the service's version: what the CI templates of deploy/ci/ run on the main branch.
#   deploy/ci/push_images.sh REGISTRY COMMIT_SHA
# The services are those whose manifests (:manifest of fastapi_service and
# express_service) the repository builds; each is pushed by its own :push target
# (oci_push: skopeo with this machine's registry login). BAZEL names the launcher
# (default tools/bazel).
set -euo pipefail
usage="usage: deploy/ci/push_images.sh REGISTRY COMMIT_SHA"
registry=${1:?$usage}
sha=${2:?$usage}
registry=${registry%/}
cd "$(dirname "$0")/../.."
bazel=${BAZEL:-tools/bazel}

mapfile -t labels < <("$bazel" query 'kind(service_manifest, //...)' 2>/dev/null)
if [[ ${#labels[@]} -eq 0 ]]; then
  echo "push_images: no service manifest found (kind(service_manifest, //...))" >&2
  exit 1
fi
"$bazel" build "${labels[@]}"
mapfile -t manifests < <("$bazel" cquery "set(${labels[*]})" --output=files 2>/dev/null)

for manifest in "${manifests[@]}"; do
  # name, version and the :image label of the service, one a line.
  mapfile -t fields < <(python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))
print(m["name"]); print(m["version"]); print(m["image"]["label"])' "$manifest")
  name=${fields[0]} version=${fields[1]} image=${fields[2]}
  push=${image%:*}:push
  echo "push_images: $push -> $registry/$name:$sha and :$version"
  "$bazel" run "$push" -- --repository "$registry/$name" --tag "$sha" --tag "$version"
done
echo "push_images: pushed ${#manifests[@]} images"
