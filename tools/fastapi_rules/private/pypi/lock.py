"""Resolves requirements.in into pylock.toml: what a ``python_lock`` command runs.

pip does the resolving (``pip install --dry-run --report``) in a throwaway virtual
environment of the build environment's Python, so the lock holds the wheels that Python
and platform need. The index is whatever pip is configured with (``PIP_INDEX_URL`` or pip's
own default); only file names and hashes are written, never a URL. Each package's
dependencies are read from its METADATA in pip's report, markers evaluated on this
interpreter, which is the lock's environment.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import venv
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from packaging.requirements import InvalidRequirement, Requirement
from pylock import Lock, LockError, Package, Wheel, dump_path, load, normalize


class ResolveError(Exception):
    pass


def requirements_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def target_environment() -> str:
    version = "{}.{}".format(*sys.version_info[:2])
    machine = os.uname().machine
    return (
        f"python_version == '{version}' and sys_platform == '{sys.platform}'"
        f" and platform_machine == '{machine}'"
    )


def pip_report(requirements: Path, workdir: Path) -> dict:
    """Runs pip's resolver without installing anything and returns its JSON report."""
    env_dir = workdir / "venv"
    venv.create(env_dir, with_pip=True)
    report = workdir / "report.json"
    command = [
        str(env_dir / "bin" / "python"),
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--dry-run",
        "--ignore-installed",
        "--only-binary=:all:",
        "--report",
        str(report),
        "--requirement",
        str(requirements),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ResolveError(resolve_failure(requirements, result.stderr))
    return json.loads(report.read_text(encoding="utf-8"))


def resolve_failure(requirements: Path, stderr: str) -> str:
    """pip's refusal, and why it is often a missing wheel: pip runs with
    ``--only-binary=:all:``, so a version with no wheel for this Python and machine is
    one pip cannot see, which it reports as "no matching distribution" or, beside another
    requirement of the same package, as a conflict."""
    version = "{}.{}".format(*sys.version_info[:2])
    machine = os.uname().machine
    return (
        f"pip could not resolve {requirements}:\n{stderr.strip()}\n"
        f"Only wheels are locked, for CPython {version} on Linux {machine}: a package or "
        "version without such a wheel on the index looks absent to pip, or in conflict with "
        "another requirement of it; pin a version whose files include a cp"
        f"{version.replace('.', '')} (or abi3, or py3-none-any) manylinux {machine} wheel"
    )


def active_requirements(requires_dist: list[str], extras: Iterable[str]) -> list[Requirement]:
    """The Requires-Dist entries whose markers hold here, with ``extras`` asked for."""
    active = []
    for line in requires_dist:
        try:
            requirement = Requirement(line)
        except InvalidRequirement as error:
            raise ResolveError(f"unreadable Requires-Dist {line!r}: {error}") from None
        marker = requirement.marker
        if marker is None or any(marker.evaluate({"extra": e}) for e in ["", *extras]):
            active.append(requirement)
    return active


def dependencies_from_report(report: dict) -> dict[str, tuple[str, ...]]:
    """Each resolved package's dependencies, keyed by normalized name."""
    items = {normalize(item["metadata"]["name"]): item for item in report["install"]}
    requires = {name: item["metadata"].get("requires_dist") or [] for name, item in items.items()}
    extras = {
        name: {normalize(e) for e in item.get("requested_extras", ())}
        for name, item in items.items()
    }
    # pip reports only the extras requirements.in asks for; one package asking another
    # for an extra (`foo[bar]` in its Requires-Dist) activates more of that one's
    # dependencies, which pip resolved too. Gather them until nothing changes.
    changed = True
    while changed:
        changed = False
        for name in items:
            for requirement in active_requirements(requires[name], extras[name]):
                wanted = extras.get(normalize(requirement.name))
                added = {normalize(e) for e in requirement.extras} - (wanted or set())
                if wanted is not None and added:
                    wanted |= added
                    changed = True
    dependencies = {}
    for name in items:
        names = {normalize(r.name) for r in active_requirements(requires[name], extras[name])}
        names.discard(name)
        missing = sorted(names - items.keys())
        if missing:
            raise ResolveError(f"{name} needs {', '.join(missing)}, which pip did not resolve")
        dependencies[name] = tuple(sorted(names))
    return dependencies


def packages_from_report(report: dict) -> list[Package]:
    dependencies = dependencies_from_report(report)
    packages = []
    for item in report["install"]:
        info = item["download_info"]
        filename = PurePosixPath(urlsplit(info["url"]).path).name
        if not filename.endswith(".whl"):
            raise ResolveError(f"{filename}: only wheels can be locked")
        hashes = info.get("archive_info", {}).get("hashes", {})
        if "sha256" not in hashes:
            raise ResolveError(f"{filename}: the index gave no sha256 for it")
        name = normalize(item["metadata"]["name"])
        packages.append(
            Package(
                name=name,
                version=item["metadata"]["version"],
                wheel=Wheel(filename, hashes["sha256"]),
                extras=tuple(sorted(normalize(e) for e in item.get("requested_extras", ()))),
                dependencies=dependencies[name],
            )
        )
    return packages


def drift(requirements: Path, lock: Lock, lock_path: str) -> list[str]:
    """What makes ``lock`` disagree with ``requirements``; empty when they agree."""
    problems = []
    if lock.requirements_sha256 != requirements_sha256(requirements):
        problems.append(f"{requirements.name} has changed since {lock_path} was written")
    locked = {p.name: p for p in lock.packages}
    for line in requirements.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        requirement = Requirement(line)
        package = locked.get(normalize(requirement.name))
        if package is None:
            problems.append(f"{requirement.name} is required but not in {lock_path}")
            continue
        if not requirement.specifier.contains(package.version, prereleases=True):
            problems.append(
                f"{requirement.name} {package.version} in {lock_path} does not satisfy "
                f"'{requirement.specifier}'"
            )
        missing = {normalize(e) for e in requirement.extras} - set(package.extras)
        if missing:
            problems.append(
                f"{requirement.name} in {lock_path} lacks extras {', '.join(sorted(missing))}"
            )
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requirements", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument(
        "--check", action="store_true", help="only report whether the lock is up to date"
    )
    parser.add_argument(
        "--relock-command", default="this lock's command", help="named in messages and the lock"
    )
    args = parser.parse_args(argv)

    # `bazel run` starts in the runfiles; paths given by the BUILD file are the workspace's.
    workspace = Path(os.environ.get("BUILD_WORKSPACE_DIRECTORY", "."))
    requirements = workspace / args.requirements
    output = workspace / args.output
    if args.check:
        try:
            problems = drift(requirements, load(output), args.output)
        except LockError as error:
            problems = [str(error)]
        for problem in problems:
            print(f"lock: {problem}", file=sys.stderr)
        if problems:
            print(f"lock: to update it run: {args.relock_command}", file=sys.stderr)
        return 1 if problems else 0
    try:
        with tempfile.TemporaryDirectory(prefix="pylock-") as workdir:
            report = pip_report(requirements, Path(workdir))
        lock = Lock(
            requirements_sha256=requirements_sha256(requirements),
            requires_python="=={}.{}.*".format(*sys.version_info[:2]),
            environment=target_environment(),
            packages=tuple(packages_from_report(report)),
        )
    except ResolveError as error:
        print(f"lock: {error}", file=sys.stderr)
        return 1
    dump_path(lock, output, generated_by=args.relock_command)
    print(f"lock: wrote {len(lock.packages)} packages to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
