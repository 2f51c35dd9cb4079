"""What the analytics benchmark sends, and how it reads its measurements: the wrk Lua of each
endpoint, the Prometheus counters it samples, CPU time from /proc, and the medians and
table it reports. Kept apart from the driver so that the parsing is unit-tested."""

from __future__ import annotations

import json
import os
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

# Statistics read one symbol whose trades stay the sample's; ingest writes the others, so
# the statistics query covers the same rows in every round.
STATS_SYMBOL = "AAPL"
INGEST_SYMBOLS = ("MSFT", "GOOGL", "AMZN", "BRK.B", "SPY")


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str


STATS = Endpoint("statistics", "GET", f"/v1/symbols/{STATS_SYMBOL}/stats")
INGEST = Endpoint("ingest", "POST", "/v1/trades")
INFERENCE = Endpoint("inference", "POST", "/v1/predictions")
ENDPOINTS = (STATS, INGEST, INFERENCE)


def post_json_lua(body: object) -> str:
    """wrk Lua sending the same JSON body with every request (wrk's static request, so no
    Lua runs per request)."""
    text = json.dumps(body, separators=(",", ":"))
    if "]==]" in text:
        raise ValueError("the body would close the Lua long string")
    return (
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f"wrk.body = [==[{text}]==]\n"
    )


def ingest_lua(symbols: tuple[str, ...] = INGEST_SYMBOLS) -> str:
    """wrk Lua posting a new trade with every request: init(args) takes a run prefix and an
    executed_at timestamp; client trade IDs are PREFIX-THREAD-N, never sent before, so each
    request inserts a row instead of replaying one (which the service answers from the
    stored row without writing)."""
    names = ", ".join(json.dumps(symbol) for symbol in symbols)
    return f"""
local symbols = {{{names}}}
local threads = 0
-- setup() runs in wrk's main Lua state, once per thread: each thread gets its own index.
function setup(thread)
  threads = threads + 1
  thread:set("thread_index", threads)
end
local prefix, executed_at, counter = "", "", 0
function init(args)
  prefix = args[1] .. "-" .. thread_index .. "-"
  executed_at = args[2]
end
-- wrk.headers carries what the harness set (the bearer token); wrk.format takes one table.
local headers = {{["Content-Type"] = "application/json"}}
for name, value in pairs(wrk.headers) do headers[name] = value end
function request()
  counter = counter + 1
  local body = string.format(
    '{{"client_trade_id":"%s%d","symbol":"%s","size":"%d","price":"%d.%02d",'
    .. '"executed_at":"%s"}}',
    prefix, counter, symbols[counter % #symbols + 1], counter % 500 + 1,
    100 + counter % 50, counter % 100, executed_at)
  return wrk.format("POST", nil, headers, body)
end
"""


def metric_total(exposition: str, name: str) -> float:
    """The sum of a Prometheus metric's samples over all label sets (0 if absent)."""
    total = 0.0
    for line in exposition.splitlines():
        if not line or line.startswith("#"):
            continue
        # "name{labels} value": the value is the last field (prometheus_client writes no
        # timestamps), the name ends where the labels begin.
        series, _, value = line.rpartition(" ")
        if series.split("{", 1)[0] == name:
            total += float(value)
    return total


def cpu_seconds(pid: int, proc: Path = Path("/proc")) -> float:
    """User plus system CPU time of a process so far."""
    stat = (proc / str(pid) / "stat").read_text()
    # The command name (field 2) may hold spaces; the fields after its closing ")" do not.
    fields = stat.rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


def cpu_list(text: str) -> set[int]:
    """The CPUs of a taskset-style list: "0", "0,2", "0-3"."""
    cpus: set[int] = set()
    for part in text.split(","):
        first, _, last = part.partition("-")
        cpus.update(range(int(first), int(last or first) + 1))
    return cpus


def children(pid: int, proc: Path = Path("/proc")) -> list[int]:
    """Direct children of a process (PostgreSQL's backends are the postmaster's)."""
    found: list[int] = []
    for task in (proc / str(pid) / "task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def summarize(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (endpoint, connections), in the order first seen: medians over rounds of
    requests/s, p50 and p99, and the errors of all rounds added up."""
    groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for run in runs:
        groups.setdefault((run["endpoint"], run["connections"]), []).append(run)
    return [
        {
            "endpoint": endpoint,
            "connections": connections,
            "rps": round(statistics.median(r["rps"] for r in group), 1),
            "p50_ms": round(statistics.median(r["p50_ms"] for r in group), 2),
            "p99_ms": round(statistics.median(r["p99_ms"] for r in group), 2),
            "errors": sum(r["errors"] for r in group),
            "requests": sum(r["requests"] for r in group),
            "rounds": len(group),
        }
        for (endpoint, connections), group in groups.items()
    ]


def markdown_table(rows: list[dict[str, Any]], paths: dict[str, str]) -> str:
    """The README's table: endpoint x connections, medians."""
    lines = [
        "| endpoint | connections | requests/s | p50 (ms) | p99 (ms) | errors / requests |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in rows:
        lines.append(
            f"| {row['endpoint']} `{paths[row['endpoint']]}` | {row['connections']} "
            f"| {row['rps']:,.0f} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f} "
            f"| {row['errors']} / {row['requests']:,} |"
        )
    return "\n".join(lines)


async def stored_trades(dsn: str, client_trade_id_prefix: str) -> int:
    """How many trades an ingest run stored: those whose client trade IDs it made."""
    connection = await asyncpg.connect(dsn)
    try:
        return await connection.fetchval(
            "SELECT count(*) FROM trades WHERE starts_with(client_trade_id, $1)",
            client_trade_id_prefix,
        )
    finally:
        await connection.close()


def check_stored(answered: int, sent: int, connections: int, stored: int) -> None:
    """Every 201 is a new row; the requests still in flight when wrk stops (at most one per
    connection) may insert too, unanswered. Anything else lost or invented a trade."""
    if not answered <= stored <= sent + connections:
        raise RuntimeError(
            f"{answered} trades answered 201 of {sent} sent over {connections} "
            f"connections, but {stored} were stored"
        )


def prediction_body() -> dict[str, list[float]]:
    """A prediction request: the API's documented example window of returns."""
    # Imported when asked for: the unit tests of this module need no service code.
    from services.analytics.inference.api import EXAMPLE_RETURNS

    return {"returns": EXAMPLE_RETURNS}


def wrk_script(endpoint: Endpoint) -> str:
    """The wrk Lua that makes ``endpoint``'s requests: none for a plain GET."""
    if endpoint is INFERENCE:
        return post_json_lua(prediction_body())
    if endpoint is INGEST:
        return ingest_lua()
    return ""
