"""compose_deployment's ``:load``: runs every image's oci_load script, so that the
machine's podman (or docker) has every image the compose file names, by its tag.

Arguments before ``--`` are the scripts (runfiles); those after are passed to each
(``--engine docker``).
"""

from __future__ import annotations

import subprocess
import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    split = argv.index("--") if "--" in argv else len(argv)
    scripts, options = argv[:split], argv[split + 1 :]
    for script in scripts:
        if subprocess.run([script, *options], check=False).returncode != 0:
            print(f"load: {script} failed (above)", file=sys.stderr)
            return 1
    print(f"{len(scripts)} images loaded")
    return 0


if __name__ == "__main__":
    sys.exit(main())
