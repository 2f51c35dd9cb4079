"""The comparison's readings and summaries: process trees and their memory from a /proc
laid out by hand, medians and ratios of runs, the tables and the chart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bench.compare.report import (
    TARGETS,
    Memory,
    chart,
    cpu_table,
    load_summary,
    markdown_table,
    ratio_table,
    ratios,
    rss_kib,
    summarize,
    tree,
    tree_memory,
)

PATHS = {"plain": "GET /v1/models", "statistics": "GET /v1/symbols/AAPL/stats"}


def fake_process(proc: Path, pid: int, rss: int | None, children: dict[int, list[int]]) -> None:
    """A /proc/PID with a status file and, per thread, the children it forked."""
    (proc / str(pid)).mkdir(parents=True)
    status = f"Name:\tx\nPid:\t{pid}\n" + (f"VmRSS:\t  {rss} kB\n" if rss is not None else "")
    (proc / str(pid) / "status").write_text(status)
    for task, forked in children.items():
        (proc / str(pid) / "task" / str(task)).mkdir(parents=True)
        (proc / str(pid) / "task" / str(task) / "children").write_text(
            " ".join(map(str, forked)) + (" " if forked else "")
        )


@pytest.fixture
def proc(tmp_path: Path) -> Path:
    # 10 (supervisor) -> 11, 12 (workers; 12 forked by a second thread of 10) -> 13
    fake_process(tmp_path, 10, 30_000, {10: [11], 15: [12]})
    fake_process(tmp_path, 11, 100_000, {11: [13]})
    fake_process(tmp_path, 12, 90_000, {12: []})
    fake_process(tmp_path, 13, None, {13: []})  # no VmRSS: a kernel thread, or a zombie
    return tmp_path


def test_the_tree_holds_children_of_every_thread(proc: Path) -> None:
    assert tree(10, proc) == [10, 11, 12, 13]
    assert tree(12, proc) == [12]


def test_a_process_gone_while_reading_is_left_out(proc: Path) -> None:
    (proc / "11" / "task" / "11" / "children").write_text("13 99 ")
    assert tree(10, proc) == [10, 11, 12, 13, 99]
    assert rss_kib(99, proc) == 0
    assert tree(404, proc) == [404]


def test_memory_adds_the_resident_sets_of_the_tree(proc: Path) -> None:
    assert rss_kib(11, proc) == 100_000
    assert tree_memory(10, proc) == Memory(processes=3, rss_kib=220_000)


def run(
    framework: str,
    rps: float,
    round_number: int = 1,
    endpoint: str = "plain",
    connections: int = 1,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "workers": "1",
        "framework": framework,
        "endpoint": endpoint,
        "connections": connections,
        "round": round_number,
        "rps": rps,
        "requests": int(rps * 10),
        "p50_ms": 1.0,
        "p99_ms": 2.0,
        "errors": 0,
        "peak_rss_kib": 102_400,
        "processes": 1,
        "server_cpu": 0.9,
        "server_cpu_us_per_request": 900_000 // rps,
        **extra,
    }


RUNS = [
    run("fastapi", 900, 1),
    run("express", 1000, 1),
    run("express", 1200, 2, peak_rss_kib=204_800, processes=2, errors=3),
    run("fastapi", 1000, 2),
    run("fastapi", 1500, 3),
    run("express", 1100, 3),
    run("fastapi", 300, 1, endpoint="statistics"),
    run("express", 250, 1, endpoint="statistics"),
]


def test_rows_are_medians_of_the_rounds_errors_added_memory_the_highest() -> None:
    rows = summarize(RUNS)
    assert [(r["framework"], r["endpoint"]) for r in rows] == [
        ("fastapi", "plain"),
        ("express", "plain"),
        ("fastapi", "statistics"),
        ("express", "statistics"),
    ]
    express = rows[1]
    assert express["rps"] == 1100
    assert express["errors"] == 3
    assert express["requests"] == 33_000
    assert (express["peak_rss_mib"], express["processes"]) == (200.0, 2)
    assert express["rounds"] == 3
    assert express["cpu_us_per_request"] == 818  # 900, 750, 818 us


def test_ratios_are_of_the_medians_with_each_round_beside_them() -> None:
    plain, stats = ratios(summarize(RUNS), RUNS)
    assert plain["ratio"] == round(1000 / 1100, 2)
    # Round by round: 900/1000, 1000/1200, 1500/1100.
    assert plain["per_round"] == [0.9, 0.83, 1.36]
    assert plain["target"] == TARGETS["plain"] == 0.8
    assert plain["met"] is True
    assert stats["ratio"] == 1.2
    assert stats["met"] is True


def test_a_missed_target_and_an_endpoint_without_one() -> None:
    runs = [
        run("fastapi", 99, endpoint="statistics"),
        run("express", 100, endpoint="statistics"),
        run("fastapi", 10, endpoint="ingest"),
        run("express", 100, endpoint="ingest"),
    ]
    stats, ingest = ratios(summarize(runs), runs)
    assert stats["met"] is False
    assert (ingest["target"], ingest["met"]) == (None, None)


def test_a_framework_alone_has_no_ratio() -> None:
    runs = [run("fastapi", 100)]
    assert ratios(summarize(runs), runs) == []
    assert markdown_table(summarize(runs), [], PATHS).count("\n") == 1  # the header only


def test_the_table_has_a_line_per_endpoint_each_cell_fastapi_then_express() -> None:
    rows = summarize(RUNS)
    table = markdown_table(rows, ratios(rows, RUNS), PATHS)
    lines = table.splitlines()
    assert lines[0].startswith("| workers | endpoint | connections | requests/s")
    assert lines[2] == (
        "| 1 | plain `GET /v1/models` | 1 | 1,000 / 1,100 | **0.91** ✓ | 1.00 / 1.00 "
        "| 2.00 / 2.00 | 0 of 34,000 / 3 of 33,000 | 100 (1) / 200 (2) |"
    )
    assert lines[3].startswith("| 1 | statistics `GET /v1/symbols/AAPL/stats` | 1 | 300 / 250 ")
    assert len(lines) == 4


def test_the_ratio_table_has_a_column_per_connection_count() -> None:
    runs = [*RUNS, run("fastapi", 50, connections=64), run("express", 100, connections=64)]
    table = ratio_table(ratios(summarize(runs), runs))
    assert table.splitlines() == [
        "| workers | endpoint | target | 1 conn. | 64 conn. |",
        "| --- | --- | ---: | ---: | ---: |",
        "| 1 | plain | ≥ 0.8 | 0.91 ✓ | 0.50 ✗ |",
        "| 1 | statistics | ≥ 1.0 | 1.20 ✓ |  |",
    ]


def test_the_cpu_table_has_fastapi_then_express_per_connection_count() -> None:
    assert cpu_table(summarize(RUNS)).splitlines() == [
        "| workers | endpoint | 1 conn. |",
        "| --- | --- | ---: |",
        "| 1 | plain | 900 / 818 |",
        "| 1 | statistics | 3000 / 3600 |",
    ]


def test_load_summary() -> None:
    assert load_summary([2.5, 0.5, 1.25]) == {"min": 0.5, "median": 1.25, "max": 2.5}
    assert load_summary([]) == {}


def test_the_chart_is_a_png(tmp_path: Path) -> None:
    runs = [*RUNS, *(dict(r, workers="2") for r in RUNS)]
    path = tmp_path / "chart.png"
    chart(summarize(runs), path, "test")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
