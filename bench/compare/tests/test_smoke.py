"""The comparison as the docs tell users to run it, for one second on one endpoint at one
connection: both services start against one PostgreSQL, answer every endpoint with the
token, take wrk's load, and the results, table and chart are written. Speed is not judged
here (benchmarks measure, tests check)."""

import json
import os
import subprocess
from pathlib import Path


def test_the_command_runs_both_services_and_writes_its_results() -> None:
    output = Path(os.environ.get("TEST_UNDECLARED_OUTPUTS_DIR") or os.environ["TEST_TMPDIR"])
    command = [
        os.environ["COMPARE"],
        "--duration", "1", "--warmup", "0", "--rounds", "1",
        "--endpoints", "plain", "--connections", "1", "--workers", "1",
        "--nice", "0", "--name", "smoke", "--output-dir", str(output),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=150, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    results = json.loads((output / "smoke.json").read_text())
    runs = results["runs"]
    assert {run["framework"] for run in runs} == {"fastapi", "express"}
    for run in runs:
        assert run["requests"] > 0, run
        assert run["errors"] == 0, run
        assert run["peak_rss_kib"] > 0, run
    (ratio,) = results["ratios"]
    assert (ratio["endpoint"], ratio["connections"], ratio["workers"]) == ("plain", 1, "1")
    assert ratio["ratio"] > 0
    assert "| 1 | plain `GET /v1/models` | 1 |" in (output / "smoke.md").read_text()
    assert (output / "smoke.png").read_bytes()[:4] == b"\x89PNG"
