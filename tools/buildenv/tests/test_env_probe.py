"""Run by .ci/acceptance as `tools/bazel test --test_env=FASTAPI_RULES_PROBE`: the
caller's value reaches the test through the build root, newline and spaces intact."""

import os

PROBE = "two words\nand a line = 1"


def test_the_callers_value_arrives_intact():
    assert os.environ.get("FASTAPI_RULES_PROBE") == PROBE
