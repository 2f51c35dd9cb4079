"""Entry point of every pytest_test: runs pytest the way Bazel expects a test to run.

Bazel starts tests in the main repository's runfiles with a read-only tree, so pytest's
cache is off, its configuration is the repository's pyproject.toml, and its JUnit report
goes where Bazel collects it (XML_OUTPUT_FILE).
"""

from __future__ import annotations

import os
import sys

import pytest


def pytest_args(argv: list[str], environ: dict[str, str]) -> list[str]:
    config, *tests = argv
    args = ["-c", config, "--rootdir", os.getcwd(), "-p", "no:cacheprovider"]
    if "XML_OUTPUT_FILE" in environ:
        args += ["--junitxml", environ["XML_OUTPUT_FILE"]]
    # `bazel test --test_filter=expr` selects tests the pytest way (-k).
    if environ.get("TESTBRIDGE_TEST_ONLY"):
        args += ["-k", environ["TESTBRIDGE_TEST_ONLY"]]
    return args + tests


if __name__ == "__main__":
    sys.exit(pytest.main(pytest_args(sys.argv[1:], dict(os.environ))))
