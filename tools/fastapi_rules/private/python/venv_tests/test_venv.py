"""`tools/bazel run //:venv` into a temporary directory, as an editor user runs it: its
python imports servicekit, FastAPI and a service's module, pytest runs that service's
tests outside Bazel, and the python scripts fall back to the build environment where the
interpreter does not run on the machine.

The workspace is this test's runfiles tree (the service's sources, servicekit and the
pyproject.toml are in it), as BUILD_WORKSPACE_DIRECTORY names the source tree under
`bazel run`; it has tools/buildenv/run, so the venv's python programs are scripts.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

# The runfiles tree itself, not where its links point: the sources sit side by side here.
RUNFILES_WORKSPACE = Path.cwd()


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    output = tmp_path_factory.mktemp("editor") / ".venv"
    written = subprocess.run(
        [str(Path(os.environ["VENV"])), "--output", str(output)],
        env={**os.environ, "BUILD_WORKSPACE_DIRECTORY": str(RUNFILES_WORKSPACE)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert written.returncode == 0, written.stderr
    assert f"wrote {output}:" in written.stdout
    yield output
    # Hundreds of megabytes: not left for pytest's kept temporary directories.
    shutil.rmtree(output)


def python(venv: Path, *args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    # A clean environment, as an editor's: nothing of Bazel's Python path.
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("TEST_TMPDIR", "/tmp")}
    return subprocess.run(
        [str(venv / "bin" / "python"), *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        **kwargs,  # type: ignore[arg-type]
    )


def test_imports_servicekit_fastapi_and_a_service(venv: Path) -> None:
    imported = python(
        venv,
        "-c",
        "import sys, servicekit, fastapi, services.template.main as main;"
        "print(sys.prefix); print(servicekit.__file__); print(type(main.app).__name__)",
    )
    assert imported.returncode == 0, imported.stderr
    prefix, servicekit_file, app_type = imported.stdout.split("\n")[:3]
    assert prefix == str(venv)
    # servicekit is the workspace's own file (a .pth entry), not a copy.
    assert servicekit_file == str(
        RUNFILES_WORKSPACE / "tools/fastapi_rules/runtime/servicekit/__init__.py"
    )
    assert app_type == "FastAPI"


def test_the_wheels_are_copies(venv: Path) -> None:
    site_packages = venv / "lib/python3.13/site-packages"
    fastapi_init = site_packages / "fastapi/__init__.py"
    assert fastapi_init.is_file()
    assert not fastapi_init.is_symlink()
    assert (site_packages / "_fastapi_rules_workspace.pth").read_text().splitlines()[0] == str(
        RUNFILES_WORKSPACE
    )


def test_console_scripts_and_wheel_scripts(venv: Path) -> None:
    for script, expected in (("pytest", "pytest "), ("ruff", "ruff ")):
        ran = subprocess.run(
            [str(venv / "bin" / script), "--version"], capture_output=True, text=True, check=False
        )
        assert ran.returncode == 0, ran.stderr
        assert ran.stdout.startswith(expected)


def test_pytest_runs_a_services_tests_outside_bazel(venv: Path) -> None:
    # The template's tests check what its BUILD declaration sets (name, title, version,
    # description): the venv's plugin gives them that environment.
    ran = python(
        venv,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "services/template/tests",
        cwd=RUNFILES_WORKSPACE,
    )
    assert ran.returncode == 0, ran.stdout[-4000:] + ran.stderr[-2000:]
    assert " passed" in ran.stdout


def test_python_falls_back_to_the_build_environment(tmp_path: Path, venv: Path) -> None:
    # A machine where the interpreter does not run (a Debian 12 host): the script runs
    # itself through tools/buildenv/run. Here a stand-in records how it was called.
    record = tmp_path / "called"
    buildenv_run = tmp_path / "run"
    buildenv_run.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {record}\n')
    buildenv_run.chmod(0o755)
    wrapper = (venv / "bin" / "python").read_text()
    interpreter = wrapper.split("exec -a ")[1].split()[1]
    assert Path(interpreter).exists()
    (tmp_path / "bin").mkdir()
    moved = tmp_path / "bin" / "python"
    moved.write_text(
        wrapper.replace(f"if {interpreter} ", "if /nonexistent/python3.13 ").replace(
            wrapper.split("\nexec ")[-1].split()[0], str(buildenv_run)
        )
    )
    moved.chmod(0o755)
    ran = subprocess.run([str(moved), "-c", "pass"], capture_output=True, text=True, check=False)
    assert ran.returncode == 0, ran.stderr
    assert record.read_text().splitlines() == [f"{tmp_path}/bin/python", "-c", "pass"]
