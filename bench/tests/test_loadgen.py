"""wrk's report, as REPORT_LUA's done() prints it, read back."""

import pytest

from bench.loadgen import REPORT_LUA, REPORT_MARK, parse_report

# wrk's own summary around the hook's line, as a run prints them.
OUTPUT = f"""Running 10s test @ http://127.0.0.1:4101/v1/predictions
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    21.40ms    3.02ms  48.11ms   80.00%
  29870 requests in 10.00s, 7.12MB read
  Non-2xx or 3xx responses: 3
Requests/sec:   2986.41
Transfer/sec:    728.81KB
{REPORT_MARK}{{"requests":29870,"duration_us":10002000,"connect":0,"read":1,"write":0,\
"status":3,"timeout":2,"p50_us":20950,"p99_us":31877,"max_us":48110}}
"""


def test_the_report_line_gives_rate_percentiles_and_errors() -> None:
    report = parse_report(OUTPUT)
    assert report.requests == 29870
    assert report.rps == pytest.approx(29870 / 10.002)
    assert (report.p50_ms, report.p99_ms, report.max_ms) == (20.95, 31.877, 48.11)
    assert report.errors == {"connect": 0, "read": 1, "write": 0, "status": 3, "timeout": 2}
    assert report.error_count == 6


def test_no_report_line_is_an_error() -> None:
    with pytest.raises(ValueError, match="expected one"):
        parse_report("Running 10s test @ http://127.0.0.1:1/\nRequests/sec: 1.0\n")


def test_a_run_of_no_time_is_an_error() -> None:
    line = OUTPUT.splitlines()[-1].replace('"duration_us":10002000', '"duration_us":0')
    with pytest.raises(ValueError, match="no time"):
        parse_report(line)


def test_the_hook_prints_every_field_the_parser_reads() -> None:
    for field in ("requests", "duration_us", "p50_us", "p99_us", "max_us", "status", "timeout"):
        assert f'"{field}":' in REPORT_LUA
    assert REPORT_MARK in REPORT_LUA
