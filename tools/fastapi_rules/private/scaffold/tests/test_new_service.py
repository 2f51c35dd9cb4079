import shutil
from pathlib import Path

import pytest
from new_service import Layout, ScaffoldError, create_service, main, read_ports

TEMPLATE_FILES = ["BUILD.bazel", "api.py", "main.py", "settings.py", "tests/test_api.py"]
LAYOUT = Layout(
    Path("services/ports.bzl"), Path("services/template"), range(4100, 4200), Path("docs/ports.md")
)
ARGS = [
    "--registry", "services/ports.bzl",
    "--template", "services/template",
    "--port-range", "4100-4199",
]  # fmt: skip


# A registry and ports table holding the template alone, so that the tests do not depend
# on which services the repository has reserved ports for.
REGISTRY = """\
load("//tools/fastapi_rules:ports.bzl", "port_registry")

PORTS = port_registry(
    fastapi = {
        "template": 4100,
    },
    express = {},
    source = "services/ports.bzl",
)
"""
PORTS_MD = """\
# Service ports

| port | service | framework | package |
| --- | --- | --- | --- |
| 4100 | template | fastapi | services/template |
"""


@pytest.fixture
def workspace(tmp_path) -> Path:
    """The template of this repository, and a registry that holds it alone."""
    for name in TEMPLATE_FILES:
        relative = f"services/template/{name}"
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(relative, tmp_path / relative)
    (tmp_path / "services/ports.bzl").write_text(REGISTRY)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs/ports.md").write_text(PORTS_MD)
    return tmp_path


def test_creates_the_service_with_its_names(workspace):
    port, written = create_service(workspace, LAYOUT, "risk_limits", None)
    assert port == 4101
    service = workspace / "services/risk_limits"
    assert sorted(str(p.relative_to(service)) for p in written) == TEMPLATE_FILES
    build = (service / "BUILD.bazel").read_text()
    assert 'name = "risk_limits"' in build
    assert "template" not in build
    settings = (service / "settings.py").read_text()
    assert 'env_prefix="RISK_LIMITS_"' in settings
    tests = (service / "tests/test_api.py").read_text()
    assert "from services.risk_limits.main import app" in tests
    assert '"TradingSystem · Risk Limits"' in tests
    assert "template" not in tests


def test_registers_the_port_and_documents_it(workspace):
    create_service(workspace, LAYOUT, "pricing", 4150)
    assert read_ports(workspace / "services/ports.bzl")["fastapi"] == {
        "template": 4100,
        "pricing": 4150,
    }
    assert (
        "| 4150 | pricing | fastapi | services/pricing |"
        in (workspace / "docs/ports.md").read_text()
    )


def test_next_free_port_skips_taken_ones(workspace):
    create_service(workspace, LAYOUT, "first", 4101)
    assert create_service(workspace, LAYOUT, "second", None)[0] == 4102


@pytest.mark.parametrize(
    ("name", "port", "message"),
    [
        ("template", None, "not a service name"),
        ("Pricing", None, "not a service name"),
        ("9lives", None, "not a service name"),
        ("pricing-v2", None, "not a service name"),
        ("pricing", 4100, "port 4100 is taken by template"),
        ("pricing", 4200, "outside the FastAPI range 4100-4199"),
    ],
)
def test_refusals_say_why(workspace, name, port, message):
    with pytest.raises(ScaffoldError, match=message):
        create_service(workspace, LAYOUT, name, port)
    assert not (workspace / "services" / name).exists() or name == "template"


def test_existing_service_is_refused(workspace):
    create_service(workspace, LAYOUT, "pricing", None)
    with pytest.raises(ScaffoldError, match="services/pricing exists already"):
        create_service(workspace, LAYOUT, "pricing", None)


def test_command_line_prints_one_line_on_error(workspace, monkeypatch, capsys):
    monkeypatch.setenv("BUILD_WORKSPACE_DIRECTORY", str(workspace))
    assert main(["Bad Name", *ARGS]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert error.startswith("new_service: ")


def test_command_line_prints_the_commands_to_run_next(workspace, monkeypatch, capsys):
    monkeypatch.setenv("BUILD_WORKSPACE_DIRECTORY", str(workspace))
    then = ["--bazel", "tools/bazel", "--then", "tools/bazel run //deploy:update"]
    assert main(["pricing", *ARGS, *then]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "Created services/pricing (5 files) on port 4101. Next:",
        "  tools/bazel test //services/pricing/...",
        "  tools/bazel run //services/pricing",
        "  tools/bazel run //deploy:update",
    ]


def test_command_line_prints_plain_bazel_by_default(workspace, monkeypatch, capsys):
    monkeypatch.setenv("BUILD_WORKSPACE_DIRECTORY", str(workspace))
    assert main(["pricing", *ARGS]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == [
        "  bazel test //services/pricing/...",
        "  bazel run //services/pricing",
    ]
