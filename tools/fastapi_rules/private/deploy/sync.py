"""Copies generated files into the source tree (``bazel run``), or with ``--check`` fails
while a committed copy differs from what was generated (the drift test).

Each argument is ``GENERATED=DESTINATION``: the generated file (a runfile) and where it
belongs, relative to the workspace; with ``--check``, DESTINATION is the committed file as
a runfile, and a missing one is stale too.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--command", required=True, help="what rewrites the files, for messages")
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    parser.add_argument("pairs", nargs="+", metavar="GENERATED=DESTINATION")
    args = parser.parse_args(argv)
    workspace = Path(os.environ.get("BUILD_WORKSPACE_DIRECTORY", "."))
    stale = []
    for pair in args.pairs:
        generated, _, destination = pair.partition("=")
        text = Path(generated).read_text()
        if args.check:
            committed_file = Path(destination)
            committed = committed_file.read_text() if committed_file.is_file() else ""
            if committed != text:
                stale.append(destination)
                sys.stdout.writelines(
                    difflib.unified_diff(
                        committed.splitlines(True),
                        text.splitlines(True),
                        f"{destination} (committed)",
                        f"{destination} (generated)",
                    )
                )
            continue
        target = workspace / destination
        if not target.is_file() or target.read_text() != text:
            target.write_text(text)
            print(f"wrote {destination}")
    if stale:
        print(f"stale: {', '.join(stale)}; run {args.command}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
