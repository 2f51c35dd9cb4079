from pathlib import Path

import pytest
from lock import (
    ResolveError,
    active_requirements,
    dependencies_from_report,
    drift,
    main,
    packages_from_report,
    requirements_sha256,
    resolve_failure,
)
from pylock import Lock, Package, Wheel

SHA = "c" * 64


def report_item(
    name: str,
    version: str,
    url: str,
    extras: list[str] | None = None,
    requires: list[str] | None = None,
) -> dict:
    item = {
        "metadata": {"name": name, "version": version},
        "download_info": {"url": url, "archive_info": {"hashes": {"sha256": SHA}}},
    }
    if extras:
        item["requested_extras"] = extras
    if requires:
        item["metadata"]["requires_dist"] = requires
    return item


def resolved(name: str, requires: list[str] | None = None, extras: list[str] | None = None):
    url = f"https://files.example/{name}-1.0-py3-none-any.whl"
    return report_item(name, "1.0", url, extras, requires)


def test_report_becomes_packages_without_any_url():
    report = {
        "install": [
            report_item(
                "Uvicorn",
                "0.40.0",
                "https://files.example/p/uvicorn-0.40.0-py3-none-any.whl",
                ["Standard"],
                ["H11>=0.8", "httptools; extra == 'standard'", "pytest; extra == 'test'"],
            ),
            resolved("h11"),
            resolved("httptools"),
        ]
    }
    package = packages_from_report(report)[0]
    assert package == Package(
        "uvicorn",
        "0.40.0",
        Wheel("uvicorn-0.40.0-py3-none-any.whl", SHA),
        ("standard",),
        ("h11", "httptools"),
    )


def test_markers_and_extras_decide_dependencies():
    requires = [
        "anyio>=4",
        "Typing_Extensions; python_version < '3.9'",
        "uvloop; sys_platform == 'linux' and extra == 'standard'",
        "httptools; extra == 'standard'",
        "pytest; extra == 'test'",
    ]
    assert [r.name for r in active_requirements(requires, [])] == ["anyio"]
    names = [r.name for r in active_requirements(requires, ["standard"])]
    assert names == ["anyio", "uvloop", "httptools"]


def test_extras_one_package_asks_of_another_bring_their_dependencies():
    # pip's report names only the extras requirements.in asks for (here none).
    report = {
        "install": [
            resolved("app", ["limits[Redis]>=3"]),
            resolved(
                "limits", ["deprecated", "redis; extra == 'redis'", "limits[redis]; extra == 'all'"]
            ),
            resolved("redis"),
            resolved("deprecated"),
        ]
    }
    assert dependencies_from_report(report) == {
        "app": ("limits",),
        "limits": ("deprecated", "redis"),
        "redis": (),
        "deprecated": (),
    }


def test_a_dependency_pip_did_not_resolve_is_refused():
    report = {"install": [resolved("app", ["anyio"])]}
    with pytest.raises(ResolveError, match="app needs anyio, which pip did not resolve"):
        dependencies_from_report(report)


def test_sdists_cannot_be_locked():
    report = {"install": [report_item("demo", "1.0", "https://files.example/demo-1.0.tar.gz")]}
    with pytest.raises(ResolveError, match="only wheels"):
        packages_from_report(report)


def lock_for(requirements: Path, *packages: Package) -> Lock:
    return Lock(requirements_sha256(requirements), "==3.13.*", "", packages)


def wheel(name: str, version: str) -> Wheel:
    return Wheel(f"{name}-{version}-py3-none-any.whl", SHA)


def test_matching_lock_has_no_drift(tmp_path):
    requirements = tmp_path / "requirements.in"
    requirements.write_text("# comment\nfastapi>=0.100\nuvicorn[standard]\n")
    lock = lock_for(
        requirements,
        Package("fastapi", "0.115.0", wheel("fastapi", "0.115.0")),
        Package("uvicorn", "0.40.0", wheel("uvicorn", "0.40.0"), ("standard",)),
    )
    assert drift(requirements, lock, "pylock.toml") == []


def test_every_kind_of_drift_is_reported(tmp_path):
    requirements = tmp_path / "requirements.in"
    requirements.write_text("fastapi>=0.100\n")
    lock = lock_for(requirements, Package("fastapi", "0.99.0", wheel("fastapi", "0.99.0")))
    requirements.write_text("fastapi>=0.100\nuvicorn[standard]\nhttpx\n")
    lock = Lock(
        lock.requirements_sha256,
        "==3.13.*",
        "",
        (*lock.packages, Package("uvicorn", "0.40.0", wheel("uvicorn", "0.40.0"))),
    )
    problems = drift(requirements, lock, "pylock.toml")
    assert problems == [
        "requirements.in has changed since pylock.toml was written",
        "fastapi 0.99.0 in pylock.toml does not satisfy '>=0.100'",
        "uvicorn in pylock.toml lacks extras standard",
        "httpx is required but not in pylock.toml",
    ]


def test_drift_check_names_an_unreadable_lock_and_the_fix(tmp_path, monkeypatch, capsys):
    requirements = tmp_path / "requirements.in"
    requirements.write_text("fastapi\n")
    lock = tmp_path / "pylock.toml"
    lock.write_text('lock-version = "1.0"\n<<<<<<< HEAD\n')
    monkeypatch.setenv("BUILD_WORKSPACE_DIRECTORY", str(tmp_path))
    arguments = ["--check", "--requirements", "requirements.in", "--output", "pylock.toml"]
    relock = ["--relock-command", "bazel run //third_party/python:lock"]
    assert main(arguments + relock) == 1
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith(f"lock: {lock}: not valid TOML")
    assert lines[-1] == "lock: to update it run: bazel run //third_party/python:lock"


def test_a_resolution_failure_says_only_wheels_for_this_python_are_locked():
    pip = (
        "ERROR: Cannot install numpy and numpy==1.26.4 because these package versions have "
        "conflicting dependencies."
    )
    message = resolve_failure(Path("third_party/python/requirements.in"), pip + "\n")
    lines = message.splitlines()
    assert lines[0] == "pip could not resolve third_party/python/requirements.in:"
    assert lines[1] == pip
    assert lines[2].startswith("Only wheels are locked, for CPython 3.13 on Linux x86_64: ")
    assert lines[2].endswith("a cp313 (or abi3, or py3-none-any) manylinux x86_64 wheel")
