"""OCI image layouts: a base image's layers plus new ones, with a new configuration.

Writes the directory form of the OCI Image Layout specification (oci-layout, index.json,
blobs/sha256/...). JSON documents are serialized canonically (sorted keys, no spaces) and
the creation time is fixed, so the same inputs always give the same manifest digest.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

from layer import MEDIA_LAYER_GZIP, Descriptor, file_sha256

MEDIA_INDEX = "application/vnd.oci.image.index.v1+json"
MEDIA_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MEDIA_CONFIG = "application/vnd.oci.image.config.v1+json"
CREATED = "1970-01-01T00:00:00Z"


class ImageError(Exception):
    pass


@dataclass
class ImageSettings:
    """The runtime settings of rules_oci's oci_image; unset fields keep the base's."""

    entrypoint: list[str] | None = None
    cmd: list[str] | None = None
    env: dict[str, str] = field(default_factory=dict)
    workdir: str | None = None
    user: str | None = None
    exposed_ports: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    os: str = "linux"
    architecture: str = "amd64"
    created_by: str = "fastapi_rules"


def canonical(document: dict) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


class Layout:
    """An OCI layout directory, read or being written."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def blob_path(self, digest: str) -> Path:
        algorithm, _, hexdigest = digest.partition(":")
        return self.root / "blobs" / algorithm / hexdigest

    def read_json(self, digest: str) -> dict:
        return json.loads(self.blob_path(digest).read_bytes())

    def manifest(self) -> tuple[dict, dict]:
        """The single image's manifest and its index descriptor."""
        index = json.loads((self.root / "index.json").read_text())
        manifests = index.get("manifests", [])
        if len(manifests) != 1:
            raise ImageError(
                f"{self.root}: expected one image in index.json, found {len(manifests)}"
            )
        return self.read_json(manifests[0]["digest"]), manifests[0]

    def layer_files(self, index: int) -> dict[str, tarfile.TarInfo]:
        """The members of the image's ``index``-th layer, by path without trailing slash."""
        manifest, _ = self.manifest()
        with tarfile.open(self.blob_path(manifest["layers"][index]["digest"]), "r:*") as tar:
            return {member.name.rstrip("/"): member for member in tar.getmembers()}

    def config(self) -> dict:
        manifest, _ = self.manifest()
        return self.read_json(manifest["config"]["digest"])

    def put_bytes(self, data: bytes) -> str:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        path = self.blob_path(digest)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return digest

    def put_file(self, source: Path, digest: str | None = None) -> str:
        """Adds a blob; ``digest``, when known, spares hashing it again.

        The blob is a hard link to the source where the file system allows, so an image
        costs what its new layers cost, not the size of the layers it shares."""
        digest = digest or file_sha256(source)
        path = self.blob_path(digest)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            try:
                os.link(source.resolve(), path)
            except OSError:
                shutil.copyfile(source, path)
        return digest


def _merged_env(base: list[str], updates: dict[str, str]) -> list[str]:
    env = dict(item.partition("=")[::2] for item in base)
    env.update(updates)
    return [f"{key}={value}" for key, value in env.items()]


def _port(spec: str) -> str:
    number, _, protocol = spec.partition("/")
    if not number.isdigit() or not 0 < int(number) < 65536 or protocol not in ("", "tcp", "udp"):
        raise ImageError(f"exposed port {spec!r} is not PORT or PORT/tcp or PORT/udp")
    return f"{int(number)}/{protocol or 'tcp'}"


def build(
    output: Path,
    base: Path | None,
    layers: list[Path | tuple[Path, Descriptor | None]],
    settings: ImageSettings,
) -> str:
    """Writes the image layout into ``output``; returns the manifest digest.

    Each layer is a tarball, or a tarball and the descriptor its writer recorded."""
    layout = Layout(output)
    output.mkdir(parents=True, exist_ok=True)
    (output / "oci-layout").write_bytes(canonical({"imageLayoutVersion": "1.0.0"}))

    if base is not None:
        base_layout = Layout(base)
        base_manifest, _ = base_layout.manifest()
        config = base_layout.config()
        layer_descriptors = []
        for descriptor in base_manifest["layers"]:
            layout.put_file(base_layout.blob_path(descriptor["digest"]), descriptor["digest"])
            layer_descriptors.append(descriptor)
    else:
        config = {"rootfs": {"type": "layers", "diff_ids": []}, "history": [], "config": {}}
        layer_descriptors = []

    for item in layers:
        tar, known = item if isinstance(item, tuple) else (item, None)
        descriptor = known or Descriptor.of_file(tar)
        layout.put_file(tar, descriptor.digest)
        layer_descriptors.append(
            {"mediaType": MEDIA_LAYER_GZIP, "digest": descriptor.digest, "size": descriptor.size}
        )
        config["rootfs"]["diff_ids"].append(descriptor.diff_id)
        config["history"].append({"created": CREATED, "created_by": settings.created_by})

    runtime = config.setdefault("config", {})
    if settings.entrypoint is not None:
        runtime["Entrypoint"] = settings.entrypoint
        # As with docker, a new entrypoint drops the base's command.
        runtime.pop("Cmd", None)
    if settings.cmd is not None:
        runtime["Cmd"] = settings.cmd
    if settings.env:
        runtime["Env"] = _merged_env(runtime.get("Env", []), settings.env)
    if settings.workdir is not None:
        runtime["WorkingDir"] = settings.workdir
    if settings.user is not None:
        runtime["User"] = settings.user
    if settings.exposed_ports:
        ports = runtime.setdefault("ExposedPorts", {})
        ports.update({_port(p): {} for p in settings.exposed_ports})
    if settings.labels:
        runtime.setdefault("Labels", {}).update(settings.labels)
    config.update(created=CREATED, os=settings.os, architecture=settings.architecture)

    config_bytes = canonical(config)
    manifest = {
        "schemaVersion": 2,
        "mediaType": MEDIA_MANIFEST,
        "config": {
            "mediaType": MEDIA_CONFIG,
            "digest": layout.put_bytes(config_bytes),
            "size": len(config_bytes),
        },
        "layers": layer_descriptors,
    }
    if settings.annotations:
        manifest["annotations"] = dict(settings.annotations)
    manifest_bytes = canonical(manifest)
    manifest_digest = layout.put_bytes(manifest_bytes)
    index = {
        "schemaVersion": 2,
        "mediaType": MEDIA_INDEX,
        "manifests": [
            {
                "mediaType": MEDIA_MANIFEST,
                "digest": manifest_digest,
                "size": len(manifest_bytes),
                "platform": {"os": settings.os, "architecture": settings.architecture},
            }
        ],
    }
    (output / "index.json").write_bytes(canonical(index))
    return manifest_digest
