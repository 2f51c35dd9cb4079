"""compose_deployment's ``:prometheus_test``: promtool checks the generated configuration
(with the rule files it names) and runs the rules' unit tests."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def promtool(*args: str, cwd: Path) -> None:
    if not shutil.which("promtool"):
        raise SystemExit("FAIL: promtool is not installed; run tests through tools/bazel")
    result = subprocess.run(["promtool", *args], cwd=cwd, capture_output=True, text=True)
    print(f"$ promtool {' '.join(args)}\n{result.stdout}{result.stderr}")
    if result.returncode != 0:
        raise SystemExit(f"FAIL: promtool {' '.join(args)} exited {result.returncode}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, required=True, help="the generated prometheus.yml")
    parser.add_argument("--rules-tests", type=Path, nargs="*", default=[])
    args = parser.parse_args(argv)
    # The rule files sit beside the configuration, and the tests name them so.
    work = Path(tempfile.mkdtemp(prefix="promtool-"))
    try:
        for generated in args.config.parent.iterdir():
            shutil.copyfile(generated, work / generated.name)
        for test in args.rules_tests:
            shutil.copyfile(test, work / test.name)
        promtool("check", "config", args.config.name, cwd=work)
        if args.rules_tests:
            promtool("test", "rules", *(test.name for test in args.rules_tests), cwd=work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
