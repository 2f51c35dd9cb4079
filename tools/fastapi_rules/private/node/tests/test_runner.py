"""The Node runner's command lines and when it starts PostgreSQL."""

import shutil

import pytest
from runner import node_command, wants_postgres


@pytest.fixture(autouse=True)
def node_on_path(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: f"/usr/bin/{name}")


def test_a_program_runs_with_its_arguments():
    assert node_command(["--preserve-symlinks", "server.js"], False, {}) == [
        "/usr/bin/node",
        "--preserve-symlinks",
        "server.js",
    ]


def test_tests_report_to_stdout_and_to_bazels_junit_file():
    command = node_command(["a.test.js"], True, {"XML_OUTPUT_FILE": "/out/test.xml"})
    assert command == [
        "/usr/bin/node",
        "--test",
        "--test-reporter=spec",
        "--test-reporter-destination=stdout",
        "--test-reporter=junit",
        "--test-reporter-destination=/out/test.xml",
        "a.test.js",
    ]


def test_bazels_test_filter_selects_tests_by_name():
    command = node_command(["a.test.js"], True, {"TESTBRIDGE_TEST_ONLY": "symbols"})
    assert "--test-name-pattern=symbols" in command


def test_without_node_the_message_says_where_to_get_it(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(SystemExit, match="tools/bazel"):
        node_command([], False, {})


@pytest.mark.parametrize(
    ("mode", "environ", "expected"),
    [
        (None, {}, False),
        ("always", {"URL": "given"}, True),
        ("unset", {"BUILD_WORKSPACE_DIRECTORY": "/w"}, True),
        ("unset", {"BUILD_WORKSPACE_DIRECTORY": "/w", "URL": "given"}, False),
        # Not under bazel run (an image, a deployment): the URL is theirs to give.
        ("unset", {}, False),
    ],
)
def test_when_postgres_is_started(mode, environ, expected):
    assert wants_postgres(mode, "URL", environ) is expected
