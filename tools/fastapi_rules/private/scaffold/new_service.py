"""Creates a FastAPI service from a template service: ``new_service NAME [--port N]``.

Copies the template's package (``--template``, e.g. services/template) to a sibling
package NAME with the template's names replaced, adds NAME to the fastapi dict of the
port registry (``--registry``, the .bzl file calling port_registry()) with the next free
port unless given, and a row to the ports document (``--ports-doc``) when there is one.
The new service builds, lints and passes its tests as it is. A repository binds the
paths once, in a py_binary with those arguments, and runs that.
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

TEMPLATE = "template"
_NAME = re.compile(r"^[a-z][a-z0-9_]{1,38}$")
_RESERVED = {TEMPLATE, "test", "tests", "lib", "image", "ports"}


class ScaffoldError(Exception):
    pass


@dataclass(frozen=True)
class Layout:
    """Where a repository keeps what the scaffolder reads and writes, relative to its root."""

    registry: Path
    template: Path
    # The registry's FastAPI range: new_service_command passes the rules' own.
    port_range: range
    ports_doc: Path | None = None

    @property
    def services(self) -> Path:
        return self.template.parent


def read_ports(ports_bzl: Path) -> dict[str, dict[str, int]]:
    """The dicts given to port_registry() in the registry file, by framework."""
    tree = ast.parse(ports_bzl.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "port_registry":
            return {
                kw.arg: ast.literal_eval(kw.value)
                for kw in node.keywords
                if kw.arg in ("fastapi", "express")
            }
    raise ScaffoldError(f"{ports_bzl}: no port_registry(...) call found")


def choose_port(
    ports: dict[str, dict[str, int]], name: str, port: int | None, allowed: range
) -> int:
    taken = {p: n for framework in ports.values() for n, p in framework.items()}
    span = f"{allowed.start}-{allowed.stop - 1}"
    if port is None:
        free = [p for p in allowed if p not in taken]
        if not free:
            raise ScaffoldError(f"every FastAPI port ({span}) is taken")
        return free[0]
    if port not in allowed:
        raise ScaffoldError(f"port {port} is outside the FastAPI range {span}")
    if port in taken:
        raise ScaffoldError(f"port {port} is taken by {taken[port]}")
    return port


def add_port(ports_bzl: Path, name: str, port: int) -> None:
    """Adds ``"name": port,`` as the last entry of the fastapi dict, keeping the layout."""
    text = ports_bzl.read_text(encoding="utf-8")
    match = re.search(r"fastapi\s*=\s*\{(?P<body>.*?)\n(?P<indent>\s*)\}", text, re.DOTALL)
    if match is None:
        raise ScaffoldError(f"{ports_bzl}: the fastapi = {{...}} dict was not found")
    entry_indent = match.group("indent") + "    "
    line = f'\n{entry_indent}"{name}": {port},'
    ports_bzl.write_text(text[: match.end("body")] + line + text[match.end("body") :])


def add_doc_row(ports_md: Path, name: str, port: int, package: Path) -> None:
    """Adds the service's row to the port table, in port order as a generator writes it."""
    lines = ports_md.read_text(encoding="utf-8").splitlines()
    rows = [
        (i, int(line.split("|")[1]))
        for i, line in enumerate(lines)
        if line.startswith("| ") and line.split("|")[1].strip().isdigit()
    ]
    if not rows:
        raise ScaffoldError(f"{ports_md}: no port table found")
    after = [i for i, row_port in rows if row_port < port]
    position = (after[-1] + 1) if after else rows[0][0]
    lines.insert(position, f"| {port} | {name} | fastapi | {package.as_posix()} |")
    ports_md.write_text("\n".join(lines) + "\n", encoding="utf-8")


def copy_template(template: Path, target: Path, name: str) -> list[Path]:
    replacements = [
        (TEMPLATE.upper() + "_", name.upper() + "_"),
        (TEMPLATE.title(), name.replace("_", " ").title()),
        (TEMPLATE, name),
    ]
    written = []
    for source in sorted(template.rglob("*")):
        if source.is_dir() or "__pycache__" in source.parts:
            continue
        destination = target / source.relative_to(template)
        destination.parent.mkdir(parents=True, exist_ok=True)
        text = source.read_text(encoding="utf-8")
        for old, new in replacements:
            text = text.replace(old, new)
        destination.write_text(text, encoding="utf-8")
        written.append(destination)
    return written


def create_service(
    workspace: Path, layout: Layout, name: str, port: int | None
) -> tuple[int, list[Path]]:
    if not _NAME.match(name) or name in _RESERVED:
        raise ScaffoldError(
            f"'{name}' is not a service name: use lower case letters, digits and _, "
            "starting with a letter, 2 to 39 characters, and not a reserved word"
        )
    package = layout.services / name
    target = workspace / package
    if target.exists():
        raise ScaffoldError(f"{package.as_posix()} exists already")
    ports_bzl = workspace / layout.registry
    ports = read_ports(ports_bzl)
    if any(name in framework for framework in ports.values()):
        raise ScaffoldError(f"'{name}' is already in {layout.registry.as_posix()}")
    chosen = choose_port(ports, name, port, layout.port_range)
    written = copy_template(workspace / layout.template, target, name)
    add_port(ports_bzl, name, chosen)
    if layout.ports_doc is not None:
        add_doc_row(workspace / layout.ports_doc, name, chosen, package)
    return chosen, written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="new_service", description=__doc__.splitlines()[0])
    parser.add_argument("name", help="service name, e.g. pricing")
    parser.add_argument("--port", type=int, help="a free port in the range (default: the next)")
    parser.add_argument("--registry", type=Path, required=True, help="e.g. services/ports.bzl")
    parser.add_argument("--template", type=Path, required=True, help="e.g. services/template")
    parser.add_argument("--ports-doc", type=Path, help="e.g. docs/ports.md")
    parser.add_argument("--port-range", required=True, help="FastAPI ports, LOW-HIGH")
    parser.add_argument("--bazel", default="bazel", help="how the printed commands run Bazel")
    parser.add_argument(
        "--then", action="append", default=[], help="a command to print after the others"
    )
    args = parser.parse_args(argv)
    workspace = Path(os.environ.get("BUILD_WORKSPACE_DIRECTORY", "."))
    low, _, high = args.port_range.partition("-")
    layout = Layout(args.registry, args.template, range(int(low), int(high) + 1), args.ports_doc)
    try:
        port, written = create_service(workspace, layout, args.name, args.port)
    except ScaffoldError as error:
        print(f"new_service: {error}", file=sys.stderr)
        return 1
    package = (layout.services / args.name).as_posix()
    print(f"Created {package} ({len(written)} files) on port {port}. Next:")
    for command in [
        f"{args.bazel} test //{package}/...",
        f"{args.bazel} run //{package}",
        *args.then,
    ]:
        print(f"  {command}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
