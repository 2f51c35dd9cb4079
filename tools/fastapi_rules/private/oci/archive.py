"""One tar file that both ``podman load`` and ``docker load`` accept.

It holds the OCI layout (oci-layout, index.json, blobs) and, beside it, the
``manifest.json`` of docker's archive format pointing at the same blobs, so either loader
finds what it reads. Tags go into both.
"""

from __future__ import annotations

import json
from pathlib import Path

from image import Layout, canonical
from layer import Layer


def tarball(layout_dir: Path, repo_tags: list[str], output: Path) -> None:
    layout = Layout(layout_dir)
    manifest, descriptor = layout.manifest()
    archive = Layer()
    for blob in sorted((layout_dir / "blobs").rglob("*")):
        if blob.is_file():
            archive.copy(str(blob.relative_to(layout_dir)), blob, 0o644)
    archive.file("oci-layout", (layout_dir / "oci-layout").read_bytes())
    if repo_tags:
        descriptor = {
            **descriptor,
            "annotations": {"org.opencontainers.image.ref.name": repo_tags[0]},
        }
    index = json.loads((layout_dir / "index.json").read_text())
    archive.file("index.json", canonical({**index, "manifests": [descriptor]}))
    docker_manifest = [
        {
            "Config": "blobs/sha256/" + manifest["config"]["digest"].partition(":")[2],
            "RepoTags": repo_tags,
            "Layers": ["blobs/sha256/" + d["digest"].partition(":")[2] for d in manifest["layers"]],
        }
    ]
    archive.file("manifest.json", json.dumps(docker_manifest).encode())
    with output.open("wb") as stream:
        archive.write_tar(stream)
