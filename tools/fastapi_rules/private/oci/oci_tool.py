"""Build actions of the OCI rules: layers, Debian root file systems, images, archives."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from archive import tarball
from bytecode import add_bytecode, require_fixed_hash_seed
from deb import rootfs
from debug_info import strip_debug_info
from image import ImageError, ImageSettings, Layout, build
from layer import Descriptor, Layer, LayerError


def _write(layer: Layer, args: argparse.Namespace) -> None:
    descriptor = layer.write(args.output)
    if args.descriptor:
        args.descriptor.write_bytes(descriptor.to_json())
    if args.summary:
        # In the writer's process: a separate action would pay an interpreter start, on
        # the critical path of every rebuild. Imported here: pyelftools costs the other
        # subcommands (image assembly among them) time they do not need.
        from library_check import write_summary

        write_summary(args.output, args.summary)


def _layer(args: argparse.Namespace) -> None:
    """A layer from a spec: {"files": [[path, source]], "trees": [[path, directory]] or
    [[path, directory, [exclude pattern, ...]]], "empty_files": [path]}."""
    spec = json.loads(args.spec.read_text())
    layer = Layer()
    for path, source in spec.get("files", []):
        layer.copy(path, Path(source))
    for path, directory, *exclude in spec.get("trees", []):
        layer.copy_tree(path, Path(directory), tuple(exclude[0]) if exclude else ())
    for path in spec.get("empty_files", []):
        layer.file(path, b"")
    if args.strip_debug:
        strip_debug_info(layer)
    if args.bytecode:
        add_bytecode(layer)
    _write(layer, args)


def _rootfs(args: argparse.Namespace) -> None:
    symlinks = dict(link.split("=", 1) for link in args.symlink)
    layer = rootfs(
        args.deb, args.nonroot_uid, args.timezone, symlinks, args.exclude, args.nonroot_directory
    )
    if args.bytecode:
        add_bytecode(layer, lambda path: path.startswith("usr/lib/python3"))
    _write(layer, args)


def _image(args: argparse.Namespace) -> None:
    settings = ImageSettings(**json.loads(args.settings.read_text()))
    layers = [
        (Path(tar), Descriptor.from_json(Path(found[0]).read_bytes()) if found else None)
        for tar, *found in args.layer
    ]
    digest = build(args.output, args.base, layers, settings)
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
    layer.add_argument("--strip-debug", action="store_true", help="strip shared objects")
    layer.set_defaults(run=_layer)

    debian = commands.add_parser("rootfs")
    debian.add_argument("--deb", type=Path, action="append", default=[])
    debian.add_argument("--nonroot-uid", type=int, required=True)
    debian.add_argument("--timezone", required=True)
    debian.add_argument("--symlink", action="append", default=[], help="PATH=TARGET")
    debian.add_argument(
        "--exclude", action="append", default=[], help="a directory or file to leave out"
    )
    debian.add_argument(
        "--nonroot-directory",
        action="append",
        default=[],
        help="a directory to make, owned by the non-root user",
    )
    debian.set_defaults(run=_rootfs)
    for writer in (layer, debian):
        writer.add_argument("--output", type=Path, required=True)
        writer.add_argument("--descriptor", type=Path, help="where to write digest, size, diff ID")
        writer.add_argument(
            "--summary", type=Path, help="where to write the library check's summary"
        )
        writer.add_argument("--bytecode", action="store_true", help="add __pycache__ pycs")

    image = commands.add_parser("image")
    image.add_argument("--base", type=Path)
    image.add_argument(
        "--layer",
        nargs="+",
        action="append",
        default=[],
        metavar=("TAR", "DESCRIPTOR"),
        help="a layer tarball, and the descriptor written with it when there is one",
    )
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
    if getattr(args, "bytecode", False):
        require_fixed_hash_seed()
    try:
        args.run(args)
    except (LayerError, ImageError, OSError) as error:
        print(f"oci_tool {args.command}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
