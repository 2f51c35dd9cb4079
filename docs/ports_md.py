"""Writes docs/ports.md from the port registry (services/ports.bzl, as //services:ports_json);
with --check, fails while the committed file differs. The prose is kept here, the table is
generated: ``tools/bazel run //docs:update_ports_md``."""

from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
from pathlib import Path

HEADER = """\
# Service ports

<!-- Generated from services/ports.bzl by tools/bazel run //docs:update_ports_md. -->

Every service's port is reserved in [`services/ports.bzl`](../services/ports.bzl), the only
place ports are written. `fastapi_service()` and `express_service()` read it (through
`services/defs.bzl`) and pass the port to the server (uvicorn, or Node's `PORT`), the
image's `exposed_ports` and labels, and the service manifest.

| range | framework |
| --- | --- |
| 4100-4199 | FastAPI services (`fastapi = {...}` in ports.bzl) |
| 4200-4299 | Express services (`express = {...}` in ports.bzl) |

Loading `services/ports.bzl` fails when two services share a port or a port is outside its
framework's range; the message names both services and the next free port (free of every
entry), and one load names every such problem. A service missing from it fails with the
exact line to add. New FastAPI services get the next free port from the scaffolder
(`tools/bazel run //services:new_service -- NAME`), which also adds the row here; an
Express service's entry is written by hand, then `tools/bazel run //docs:update_ports_md`.
`//docs:ports_md_test` fails while this file and the registry differ. A new or changed
port also changes the deployment's files: `tools/bazel run //deploy:update`
(`//deploy:files_test` fails until then).

`tools/bazel run //services:up` starts every service on its port here, and refuses one
whose port something else on the machine holds, naming it; `-- --port NAME=PORT` moves
one service, `-- --any-port` gives each a free port
([troubleshooting.md](troubleshooting.md#the-port-is-taken-on-this-machine)).

## Reserved ports

| port | service | framework | package |
| --- | --- | --- | --- |
"""


def render(registry: dict) -> str:
    rows = sorted(registry["ports"].items(), key=lambda item: item[1])
    table = "".join(
        f"| {port} | {name} | {registry['frameworks'][name]} | services/{name} |\n"
        for name, port in rows
    )
    return HEADER + table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("registry", type=Path, help="ports.json")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--output", help="where to write, relative to the workspace")
    group.add_argument("--check", type=Path, help="the committed file to compare")
    args = parser.parse_args(argv)
    text = render(json.loads(args.registry.read_text()))
    if args.check:
        committed = args.check.read_text()
        if committed != text:
            sys.stdout.writelines(
                difflib.unified_diff(
                    committed.splitlines(True), text.splitlines(True), "committed", "generated"
                )
            )
            print("docs/ports.md is stale: run tools/bazel run //docs:update_ports_md")
            return 1
        return 0
    workspace = Path(os.environ.get("BUILD_WORKSPACE_DIRECTORY", "."))
    (workspace / args.output).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
