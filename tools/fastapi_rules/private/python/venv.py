"""Writes a virtual environment for editors and for pytest outside Bazel: what
``python_venv`` runs (``tools/bazel run //tools/fastapi_rules:venv``).

- The interpreter is the one Bazel's Python targets run on (the build environment's
  Python 3.13), through ``venv`` with symbolic links.
- Every locked wheel Bazel extracted is copied into ``site-packages`` (copies, not links
  into Bazel's output base: the venv survives ``bazel clean`` and cannot change what Bazel
  built), with its console scripts and its own scripts (ruff's binary) in ``bin/``.
- The repository's own Python code is not copied: a ``.pth`` file puts the workspace root
  and each first-party import root (``imports = ["."]``, e.g. servicekit's) on
  ``sys.path``, so edits are seen at once and ``import services.analytics.main`` works.
- A pytest plugin gives the tests under each service's package the environment its BUILD
  declaration gives them under Bazel (FASTAPI_SERVICE_NAME, ...), where it is not set.
- Where the workspace has the build environment (tools/buildenv/run) the ``python``
  programs in ``bin/`` are small scripts: they run that interpreter directly where it
  runs on this machine (inside the build environment, or on a Debian 13 host), and
  through tools/buildenv/run elsewhere (a Debian 12 host, whose glibc is too old for it).
"""

from __future__ import annotations

import argparse
import configparser
import json
import os
import shutil
import sys
import time
import venv
from pathlib import Path

PTH_NAME = "_fastapi_rules_workspace.pth"
PLUGIN = "_fastapi_rules_service_env"

# A pytest plugin (loaded through its entry point, as an installed one is) that runs a
# service's tests as its `:test` target does: with the PostgreSQL plugin
# (servicekit.testing.postgres, whose fixtures start a server only when used), and, before
# pytest imports a test module under a service's package, with the environment that
# service's BUILD declaration gives its tests, where the caller has not set a variable.
PLUGIN_SOURCE = """\
# Written by {command}.
import os
from pathlib import Path

WORKSPACE = Path({workspace!r})
SERVICES = {services!r}


def pytest_configure(config):
    if SERVICES:
        config.pluginmanager.import_plugin("servicekit.testing.postgres")


def pytest_collect_file(file_path, parent):
    try:
        relative = Path(file_path).resolve().relative_to(WORKSPACE)
    except ValueError:
        return None
    for package, environment in SERVICES.items():
        if relative.parts[: len(Path(package).parts)] == Path(package).parts:
            for name, value in environment.items():
                os.environ.setdefault(name, value)
    return None
"""

WRAPPER = """\
#!/usr/bin/env bash
# {name} of this virtual environment, written by {command}.
# Runs Python {version} where it runs on this machine, else inside the build environment.
venv=$(cd "$(dirname "${{BASH_SOURCE[0]}}")/.." && pwd)
if {interpreter} -c '' 2>/dev/null; then
  # Named as this file, Python finds ../pyvenv.cfg and becomes this environment's.
  exec -a "$venv/bin/{name}" {interpreter} "$@"
fi
exec {buildenv_run} "$venv/bin/{name}" "$@"
"""

SCRIPT = """\
#!{python}
# Written by {command}: the console script {name} of {distribution}.
import sys
from {module} import {head}
sys.exit({call}())
"""


def copy_tree(source: Path, target: Path) -> int:
    """Copies the files below ``source`` (following the runfiles' links) into ``target``;
    returns how many."""
    count = 0
    for directory, _, files in os.walk(source, followlinks=True):
        relative = Path(directory).relative_to(source)
        if "__pycache__" in relative.parts:
            continue
        (target / relative).mkdir(parents=True, exist_ok=True)
        for name in files:
            shutil.copyfile(Path(directory) / name, target / relative / name)
            count += 1
    return count


def console_scripts(site_packages: Path) -> list[tuple[str, str, str]]:
    """(script, "module:object", distribution) for each console script of the wheels."""
    found = []
    for entry_points in sorted(site_packages.glob("*.dist-info/entry_points.txt")):
        parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        parser.read(entry_points)
        if parser.has_section("console_scripts"):
            distribution = entry_points.parent.name.removesuffix(".dist-info")
            for script, target in parser.items("console_scripts"):
                found.append((script, target.split("[")[0].strip(), distribution))
    return found


def write_console_scripts(bin_dir: Path, site_packages: Path, command: str) -> int:
    python = bin_dir / "python"
    written = 0
    for script, target, distribution in console_scripts(site_packages):
        module, _, attribute = target.partition(":")
        head, _, rest = attribute.partition(".")
        call = head + ("." + rest if rest else "")
        path = bin_dir / script
        path.write_text(
            SCRIPT.format(
                python=python,
                command=command,
                name=script,
                distribution=distribution,
                module=module,
                head=head,
                call=call,
            )
        )
        path.chmod(0o755)
        written += 1
    return written


def copy_scripts(bin_dir: Path, scripts: list[Path]) -> int:
    """The wheels' own scripts (ruff's binary), with a ``#!python`` line made this
    environment's, as an installer does."""
    for script in scripts:
        content = script.read_bytes()
        if content.startswith(b"#!python"):
            content = b"#!" + str(bin_dir / "python").encode() + content[len(b"#!python") :]
        target = bin_dir / script.name
        target.write_bytes(content)
        target.chmod(0o755)
    return len(scripts)


def write_plugin(site_packages: Path, workspace: Path, services: dict, command: str) -> None:
    (site_packages / f"{PLUGIN}.py").write_text(
        PLUGIN_SOURCE.format(command=command, workspace=str(workspace), services=services)
    )
    info = site_packages / f"{PLUGIN}-0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {PLUGIN}\nVersion: 0\n")
    (info / "entry_points.txt").write_text(f"[pytest11]\nservice_env = {PLUGIN}\n")


def write_wrappers(bin_dir: Path, interpreter: str, buildenv_run: Path, command: str) -> None:
    version = "{}.{}".format(*sys.version_info[:2])
    for name in ("python", "python3", f"python{version}"):
        path = bin_dir / name
        path.unlink(missing_ok=True)
        path.write_text(
            WRAPPER.format(
                name=name,
                command=command,
                version=version,
                interpreter=interpreter,
                buildenv_run=buildenv_run,
            )
        )
        path.chmod(0o755)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, help=argparse.SUPPRESS)
    parser.add_argument("--command", default="bazel run", help=argparse.SUPPRESS)
    parser.add_argument(
        "--output", help="where to write the environment (default: .venv at the workspace root)"
    )
    args = parser.parse_args(argv)
    workspace_dir = os.environ.get("BUILD_WORKSPACE_DIRECTORY")
    if not workspace_dir:
        sys.exit(f"{args.command}: run this with bazel run, from the workspace it is for")
    workspace = Path(workspace_dir)
    output = Path(args.output) if args.output else workspace / ".venv"
    if not output.is_absolute():
        output = Path(os.environ.get("BUILD_WORKING_DIRECTORY", workspace)) / output
    runfiles = Path(os.environ["RUNFILES_DIR"])
    config = json.loads(Path(args.config).read_text())

    started = time.monotonic()
    if output.exists():
        if not (output / "pyvenv.cfg").exists():
            sys.exit(f"{args.command}: {output} exists and is not a virtual environment; move it")
        shutil.rmtree(output)
    # The interpreter the build runs Python on, by the path it has on this machine.
    interpreter = os.path.realpath(sys._base_executable)  # type: ignore[attr-defined]
    venv.EnvBuilder(symlinks=True, with_pip=False).create(output)
    site_packages = output / "lib" / "python{}.{}".format(*sys.version_info[:2]) / "site-packages"

    files = 0
    for root in config["copy"]:
        files += copy_tree(runfiles / root, site_packages)
    sources = [workspace] + [workspace / root for root in config["source"]]
    (site_packages / PTH_NAME).write_text("".join(f"{path}\n" for path in sources))
    write_plugin(site_packages, workspace, config.get("services", {}), args.command)
    scripts = write_console_scripts(output / "bin", site_packages, args.command)
    scripts += copy_scripts(output / "bin", [runfiles / path for path in config["scripts"]])
    buildenv_run = workspace / "tools" / "buildenv" / "run"
    if buildenv_run.exists():
        write_wrappers(output / "bin", interpreter, buildenv_run, args.command)

    print(
        f"wrote {output}: {len(config['copy'])} packages ({files} files) from the lock, "
        f"{scripts} scripts, and on sys.path: {', '.join(map(str, sources))} "
        f"({time.monotonic() - started:.1f} s)"
    )
    print(
        f"point your editor at {output / 'bin' / 'python'}; run tests with "
        f"{output / 'bin' / 'python'} -m pytest PATH"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
