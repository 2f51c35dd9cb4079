"""Writes an npm package-lock.json from its package.json, or checks that it is current:
what an ``npm_lock`` command runs.

Relocking runs ``npm install --package-lock-only --ignore-scripts`` next to package.json:
npm resolves the versions and records each package's integrity hash, nothing is
installed and no script runs. ``--omit-lockfile-registry-resolved`` keeps registry URLs out
of the lock (the npm extension asks the machine's npm registry at fetch time), so the lock
is written the same with or without an .npmrc. The registry npm asks is this machine's:
npm's own configuration, or NPM_CONFIG_REGISTRY, which tools/bazel sets from it.

The check fails while the lock and package.json disagree on the project's dependencies, a
package lacks its sha512 integrity hash, or a registry URL is recorded.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

DEPENDENCY_KINDS = (
    "dependencies",
    "devDependencies",
    "optionalDependencies",
    "peerDependencies",
)


def problems(manifest: dict, lock: dict) -> list[str]:
    """What makes ``lock`` not the lock of ``manifest``, one sentence each."""
    found = []
    if lock.get("lockfileVersion") != 3:
        found.append(f"its lockfileVersion is {lock.get('lockfileVersion')}, not 3")
    packages = lock.get("packages", {})
    root = packages.get("", {})
    for kind in DEPENDENCY_KINDS:
        wanted, locked = manifest.get(kind, {}), root.get(kind, {})
        if wanted != locked:
            changed = sorted(
                name for name in set(wanted) | set(locked) if wanted.get(name) != locked.get(name)
            )
            found.append(f"package.json's {kind} differ from the lock's: {', '.join(changed)}")
        for name in wanted:
            if kind != "peerDependencies" and f"node_modules/{name}" not in packages:
                found.append(f"{name} is not in the lock")
    for path, entry in sorted(packages.items()):
        if not path or entry.get("link") or entry.get("inBundle"):
            continue
        if not entry.get("integrity", "").startswith("sha512-"):
            found.append(f"{path} has no sha512 integrity hash")
        if "resolved" in entry:
            found.append(f"{path} records the registry URL it came from")
    return found


def relock(package_json: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit(
            "lock: npm is not installed; run this through tools/bazel (its build environment "
            "has Debian's npm), or apt-get install npm"
        )
    subprocess.run(
        [
            npm,
            "install",
            "--package-lock-only",
            "--ignore-scripts",
            "--lockfile-version=3",
            "--omit-lockfile-registry-resolved",
            "--no-audit",
            "--no-fund",
            "--loglevel=warn",
        ],
        cwd=package_json.parent,
        check=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package-json", required=True, help="package.json, from the workspace")
    parser.add_argument("--output", required=True, help="package-lock.json, from the workspace")
    parser.add_argument("--check", action="store_true", help="only report whether it is current")
    parser.add_argument("--relock-command", default="this lock's command", help="named in messages")
    args = parser.parse_args(argv)

    workspace = Path(os.environ.get("BUILD_WORKSPACE_DIRECTORY", "."))
    package_json = workspace / args.package_json
    lock_path = workspace / args.output
    if lock_path.parent != package_json.parent or lock_path.name != "package-lock.json":
        print(
            f"lock: {args.output} must be the package-lock.json beside {args.package_json}; "
            "npm writes it there",
            file=sys.stderr,
        )
        return 1
    if not args.check:
        try:
            relock(package_json)
        except subprocess.CalledProcessError as error:
            print(f"lock: npm install failed ({error.returncode}); see above", file=sys.stderr)
            return 1
    manifest = json.loads(package_json.read_text(encoding="utf-8"))
    lock = json.loads(lock_path.read_text(encoding="utf-8"))
    if found := problems(manifest, lock):
        print(f"lock: {args.output} is not the lock of {args.package_json}:", file=sys.stderr)
        for problem in found:
            print(f"  - {problem}", file=sys.stderr)
        print(f"relock with: {args.relock_command}", file=sys.stderr)
        return 1
    if not args.check:
        count = sum(1 for path in lock["packages"] if path)
        print(f"lock: {count} packages in {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
