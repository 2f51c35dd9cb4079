"""The analytics benchmark's request scripts, readings and summaries."""

import json
import os
from pathlib import Path

import pytest

from bench.analytics.workload import (
    INGEST_SYMBOLS,
    STATS_SYMBOL,
    check_stored,
    children,
    cpu_list,
    cpu_seconds,
    ingest_lua,
    markdown_table,
    metric_total,
    post_json_lua,
    summarize,
)

METRICS = """# HELP inference_batch_rows Rows per model call: how much micro-batching stacks.
# TYPE inference_batch_rows histogram
inference_batch_rows_bucket{le="1.0",model="realised-volatility-ridge"} 2.0
inference_batch_rows_count{model="realised-volatility-ridge"} 40.0
inference_batch_rows_sum{model="realised-volatility-ridge"} 1210.0
inference_batch_rows_count{model="another model"} 2.0
inference_batch_rows_created{model="realised-volatility-ridge"} 1.76e+09
process_cpu_seconds_total 12.5
"""


def test_metric_total_adds_a_metric_over_its_label_sets() -> None:
    assert metric_total(METRICS, "inference_batch_rows_count") == 42
    assert metric_total(METRICS, "inference_batch_rows_sum") == 1210
    assert metric_total(METRICS, "process_cpu_seconds_total") == 12.5


def test_metric_total_matches_whole_names_only() -> None:
    assert metric_total(METRICS, "inference_batch_rows") == 0
    assert metric_total(METRICS, "missing") == 0


def _fake_proc(tmp_path: Path, pid: int, name: str, utime: int, stime: int) -> None:
    (tmp_path / str(pid) / "task" / str(pid)).mkdir(parents=True)
    # proc(5): pid (comm) state ppid ... utime is field 14, stime field 15.
    fields = ["S", "1", *["0"] * 9, str(utime), str(stime), "0", "0"]
    (tmp_path / str(pid) / "stat").write_text(f"{pid} ({name}) {' '.join(fields)}\n")


def test_cpu_seconds_reads_user_and_system_time(tmp_path: Path) -> None:
    ticks = os.sysconf("SC_CLK_TCK")
    # A command name with spaces and a parenthesis must not shift the fields.
    _fake_proc(tmp_path, 7, "postgres: bench (x) idle", 3 * ticks, ticks)
    assert cpu_seconds(7, proc=tmp_path) == pytest.approx(4.0)


def test_children_lists_every_thread_s_children(tmp_path: Path) -> None:
    _fake_proc(tmp_path, 7, "postgres", 0, 0)
    (tmp_path / "7" / "task" / "7" / "children").write_text("8 9 ")
    (tmp_path / "7" / "task" / "10").mkdir()
    (tmp_path / "7" / "task" / "10" / "children").write_text("11")
    assert sorted(children(7, proc=tmp_path)) == [8, 9, 11]


def test_cpu_list_reads_taskset_lists() -> None:
    assert cpu_list("0") == {0}
    assert cpu_list("0,2") == {0, 2}
    assert cpu_list("1-3,6") == {1, 2, 3, 6}


def _run(endpoint: str, connections: int, rps: float, p50: float, p99: float, errors: int = 0):
    return {"endpoint": endpoint, "connections": connections, "rps": rps, "p50_ms": p50,
            "p99_ms": p99, "errors": errors, "requests": int(rps * 10)}  # fmt: skip


def test_summarize_takes_medians_per_endpoint_and_connections_in_order() -> None:
    runs = [
        _run("statistics", 1, 900, 1.0, 2.0),
        _run("statistics", 64, 1500, 40.0, 60.0),
        _run("statistics", 1, 1000, 1.1, 2.5, errors=1),
        _run("statistics", 64, 1300, 45.0, 90.0),
        _run("statistics", 1, 1100, 0.9, 9.0),
        _run("statistics", 64, 1400, 42.0, 70.0, errors=2),
    ]
    one, sixty_four = summarize(runs)
    assert one == {"endpoint": "statistics", "connections": 1, "rps": 1000, "p50_ms": 1.0,
                   "p99_ms": 2.5, "errors": 1, "requests": 30000, "rounds": 3}  # fmt: skip
    assert (sixty_four["connections"], sixty_four["rps"], sixty_four["p99_ms"]) == (64, 1400, 70)
    assert sixty_four["errors"] == 2


def test_markdown_table_has_a_row_per_summary_row() -> None:
    table = markdown_table(
        summarize([_run("ingest", 16, 2345.6, 6.5, 12.25)]), {"ingest": "POST /v1/trades"}
    )
    header, rule, row = table.splitlines()
    assert header.count("|") == rule.count("|") == row.count("|")
    assert row == "| ingest `POST /v1/trades` | 16 | 2,346 | 6.50 | 12.25 | 0 / 23,456 |"


def test_post_json_lua_embeds_the_body_verbatim() -> None:
    lua = post_json_lua({"returns": [0.5, -0.25]})
    assert 'wrk.method = "POST"' in lua
    assert 'wrk.body = [==[{"returns":[0.5,-0.25]}]==]' in lua


def test_post_json_lua_refuses_a_body_that_would_end_the_string() -> None:
    with pytest.raises(ValueError, match="long string"):
        post_json_lua({"note": "]==]"})


def test_ingest_writes_other_symbols_than_statistics_reads() -> None:
    assert STATS_SYMBOL not in INGEST_SYMBOLS
    lua = ingest_lua()
    symbols = lua.split("local symbols = {", 1)[1].split("}", 1)[0]
    assert [json.loads(s) for s in symbols.split(", ")] == list(INGEST_SYMBOLS)
    # Client trade IDs are the run's prefix, the thread and a counter: new in every request.
    assert '"client_trade_id":"%s%d"' in lua
    assert "counter = counter + 1" in lua


def test_stored_trades_may_exceed_answers_by_one_per_connection_only() -> None:
    check_stored(answered=100, sent=104, connections=4, stored=100)
    check_stored(answered=100, sent=104, connections=4, stored=108)
    with pytest.raises(
        RuntimeError, match="100 trades answered 201 of 104 sent over 4 connections, but 99"
    ):
        check_stored(answered=100, sent=104, connections=4, stored=99)
    with pytest.raises(RuntimeError, match="but 109 were stored"):
        check_stored(answered=100, sent=104, connections=4, stored=109)
