"""Build actions of the OCI rules: layers, Debian root file systems, images, archives."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from archive import tarball
from deb import rootfs
from image import ImageError, ImageSettings, Layout, build
from layer import Layer, LayerError


def _layer(args: argparse.Namespace) -> None:
    """A layer from a spec: {"files": [[path, source]], "empty_files": [path]}."""
    spec = json.loads(args.spec.read_text())
    layer = Layer()
    for path, source in spec.get("files", []):
        layer.copy(path, Path(source))
    for path in spec.get("empty_files", []):
        layer.file(path, b"")
    layer.write(args.output)


def _rootfs(args: argparse.Namespace) -> None:
    symlinks = dict(link.split("=", 1) for link in args.symlink)
    rootfs(args.deb, args.nonroot_uid, args.timezone, symlinks).write(args.output)


def _image(args: argparse.Namespace) -> None:
    settings = ImageSettings(**json.loads(args.settings.read_text()))
    digest = build(args.output, args.base, args.layer, settings)
    args.digest.write_text(digest + "\n")
    config_digest = Layout(args.output).manifest()[0]["config"]["digest"]
    args.image_id.write_text(config_digest.partition(":")[2] + "\n")


def _tarball(args: argparse.Namespace) -> None:
    tarball(args.image, args.tag, args.output)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    layer = commands.add_parser("layer")
    layer.add_argument("--spec", type=Path, required=True)
    layer.add_argument("--output", type=Path, required=True)
    layer.set_defaults(run=_layer)

    debian = commands.add_parser("rootfs")
    debian.add_argument("--deb", type=Path, action="append", default=[])
    debian.add_argument("--nonroot-uid", type=int, required=True)
    debian.add_argument("--timezone", required=True)
    debian.add_argument("--symlink", action="append", default=[], help="PATH=TARGET")
    debian.add_argument("--output", type=Path, required=True)
    debian.set_defaults(run=_rootfs)

    image = commands.add_parser("image")
    image.add_argument("--base", type=Path)
    image.add_argument("--layer", type=Path, action="append", default=[])
    image.add_argument("--settings", type=Path, required=True)
    image.add_argument("--output", type=Path, required=True)
    image.add_argument("--digest", type=Path, required=True)
    image.add_argument("--image-id", type=Path, required=True)
    image.set_defaults(run=_image)

    archive = commands.add_parser("tarball")
    archive.add_argument("--image", type=Path, required=True)
    archive.add_argument("--tag", action="append", default=[])
    archive.add_argument("--output", type=Path, required=True)
    archive.set_defaults(run=_tarball)

    args = parser.parse_args(argv)
    try:
        args.run(args)
    except (LayerError, ImageError, OSError) as error:
        print(f"oci_tool {args.command}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
