"""What the FastAPI/Express comparison reads and writes, apart from driving servers: the
endpoints it loads, the memory of a server's process tree from /proc, the medians over
rounds, the FastAPI/Express ratios against the targets, the markdown table and the chart.
Kept apart from the driver (compare.py) so that it is unit-tested without a server."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.analytics.workload import INFERENCE, INGEST, STATS, Endpoint

# A plain JSON answer: the model's description, built from what the service holds in
# memory. No database, no model call; the request still passes every layer of the stack
# (request ID, access line, metrics, rate limit, bearer token, routing, serialisation).
PLAIN = Endpoint("plain", "GET", "/v1/models")
ENDPOINTS = (PLAIN, STATS, INGEST, INFERENCE)

# FastAPI first: ratios are FastAPI over Express.
FRAMEWORKS = ("fastapi", "express")
SERVICES = {"fastapi": "analytics", "express": "analytics-express"}

# Issue #11's targets, FastAPI's requests/s over Express's, per endpoint.
TARGETS = {"plain": 0.8, "statistics": 1.0, "inference": 1.0}


@dataclass(frozen=True)
class Memory:
    """A process tree at one moment: its processes and their resident memory added up
    (pages shared between them, such as a forked worker's, counted in each)."""

    processes: int
    rss_kib: int


def tree(root: int, proc: Path = Path("/proc")) -> list[int]:
    """``root`` and its descendants (children of every thread), root first; processes
    that end while the tree is read are left out."""
    found = [root]
    index = 0
    while index < len(found):
        pid = found[index]
        index += 1
        try:
            tasks = sorted((proc / str(pid) / "task").iterdir(), key=lambda task: int(task.name))
        except OSError:
            continue
        for task in tasks:
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            found += [int(child) for child in children if int(child) not in found]
    return found


def rss_kib(pid: int, proc: Path = Path("/proc")) -> int:
    """VmRSS of a process in KiB (0 for one that has ended, or a kernel thread)."""
    try:
        status = (proc / str(pid) / "status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def tree_memory(root: int, proc: Path = Path("/proc")) -> Memory:
    pids = tree(root, proc)
    sizes = [rss_kib(pid, proc) for pid in pids]
    return Memory(sum(1 for size in sizes if size), sum(sizes))


def summarize(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (workers, endpoint, connections, framework), in the order first seen:
    medians over the rounds of requests/s, p50 and p99, errors and requests of all rounds
    added up, the highest memory any round saw and the processes then."""
    groups: dict[tuple[str, str, int, str], list[dict[str, Any]]] = {}
    for run in runs:
        key = (run["workers"], run["endpoint"], run["connections"], run["framework"])
        groups.setdefault(key, []).append(run)
    rows = []
    for (workers, endpoint, connections, framework), group in groups.items():
        peak = max(group, key=lambda r: r["peak_rss_kib"])
        rows.append(
            {
                "workers": workers,
                "endpoint": endpoint,
                "connections": connections,
                "framework": framework,
                "rps": round(statistics.median(r["rps"] for r in group), 1),
                "p50_ms": round(statistics.median(r["p50_ms"] for r in group), 2),
                "p99_ms": round(statistics.median(r["p99_ms"] for r in group), 2),
                "errors": sum(r["errors"] for r in group),
                "requests": sum(r["requests"] for r in group),
                "peak_rss_mib": round(peak["peak_rss_kib"] / 1024, 1),
                "processes": peak["processes"],
                "server_cpu": round(statistics.median(r["server_cpu"] for r in group), 2),
                # CPU of the server's processes per answer: less at the mercy of the shared
                # machine's scheduling than requests/s.
                "cpu_us_per_request": round(
                    statistics.median(r["server_cpu_us_per_request"] for r in group)
                ),
                "rounds": len(group),
            }
        )
    return rows


def ratios(rows: list[dict[str, Any]], runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """FastAPI's requests/s over Express's for each (workers, endpoint, connections) that
    has both: the ratio of the medians, each round's own ratio (the two ran back to back
    in it), and whether the endpoint's target (TARGETS) is met by the ratio of medians."""
    by_key: dict[tuple[str, str, int], dict[str, dict[str, Any]]] = {}
    for row in rows:
        key = (row["workers"], row["endpoint"], row["connections"])
        by_key.setdefault(key, {})[row["framework"]] = row
    per_round: dict[tuple[str, str, int, int], dict[str, float]] = {}
    for run in runs:
        key = (run["workers"], run["endpoint"], run["connections"], run["round"])
        per_round.setdefault(key, {})[run["framework"]] = run["rps"]
    result = []
    for (workers, endpoint, connections), pair in by_key.items():
        if set(pair) != set(FRAMEWORKS):
            continue
        express = pair["express"]["rps"]
        ratio = pair["fastapi"]["rps"] / express if express else float("inf")
        rounds = [
            round(value["fastapi"] / value["express"], 2)
            for (w, e, c, _), value in sorted(per_round.items())
            if (w, e, c) == (workers, endpoint, connections)
            and set(value) == set(FRAMEWORKS)
            and value["express"]
        ]
        target = TARGETS.get(endpoint)
        result.append(
            {
                "workers": workers,
                "endpoint": endpoint,
                "connections": connections,
                "fastapi_rps": pair["fastapi"]["rps"],
                "express_rps": express,
                "ratio": round(ratio, 2),
                "per_round": rounds,
                "target": target,
                "met": None if target is None else ratio >= target,
            }
        )
    return result


def _pair(values: dict[str, Any], fmt: str) -> str:
    return " / ".join(format(values[framework], fmt) for framework in FRAMEWORKS)


def markdown_table(
    rows: list[dict[str, Any]], ratio_rows: list[dict[str, Any]], paths: dict[str, str]
) -> str:
    """The comparison as one markdown table: a line per (workers, endpoint,
    connections), each cell FastAPI's figure then Express's."""
    ratio_of = {(r["workers"], r["endpoint"], r["connections"]): r for r in ratio_rows}
    cells: dict[tuple[str, str, int], dict[str, dict[str, Any]]] = {}
    for row in rows:
        cells.setdefault((row["workers"], row["endpoint"], row["connections"]), {})[
            row["framework"]
        ] = row
    lines = [
        "| workers | endpoint | connections | requests/s FastAPI / Express | FastAPI / Express "
        "| p50 ms | p99 ms | errors / requests | peak RSS MiB (processes) |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for (workers, endpoint, connections), pair in cells.items():
        if set(pair) != set(FRAMEWORKS):
            continue
        ratio = ratio_of[(workers, endpoint, connections)]
        mark = "" if ratio["met"] is None else (" ✓" if ratio["met"] else " ✗")

        def each(key: str, fmt: str, pair: dict[str, dict[str, Any]] = pair) -> str:
            return _pair({f: pair[f][key] for f in FRAMEWORKS}, fmt)

        errors = " / ".join(f"{pair[f]['errors']:,} of {pair[f]['requests']:,}" for f in FRAMEWORKS)
        memory = " / ".join(
            f"{pair[f]['peak_rss_mib']:.0f} ({pair[f]['processes']})" for f in FRAMEWORKS
        )
        lines.append(
            f"| {workers} | {endpoint} `{paths[endpoint]}` | {connections} "
            f"| {each('rps', ',.0f')} | **{ratio['ratio']:.2f}**{mark} "
            f"| {each('p50_ms', '.2f')} | {each('p99_ms', '.2f')} | {errors} | {memory} |"
        )
    return "\n".join(lines)


def ratio_table(ratio_rows: list[dict[str, Any]]) -> str:
    """FastAPI/Express per endpoint (lines) and connection count (columns), a block of
    lines per workers setting; a target met or missed is marked."""
    connections = sorted({r["connections"] for r in ratio_rows})
    lines = [
        "| workers | endpoint | target | " + " | ".join(f"{c} conn." for c in connections) + " |",
        "| --- | --- | ---: | " + " | ".join("---:" for _ in connections) + " |",
    ]
    table: dict[tuple[str, str], dict[int, dict[str, Any]]] = {}
    for row in ratio_rows:
        table.setdefault((row["workers"], row["endpoint"]), {})[row["connections"]] = row
    for (workers, endpoint), by_count in table.items():
        target = TARGETS.get(endpoint)
        cells = []
        for count in connections:
            row = by_count.get(count)
            if row is None:
                cells.append("")
                continue
            mark = "" if row["met"] is None else (" ✓" if row["met"] else " ✗")
            cells.append(f"{row['ratio']:.2f}{mark}")
        lines.append(
            f"| {workers} | {endpoint} | {'' if target is None else f'≥ {target:.1f}'} | "
            + " | ".join(cells)
            + " |"
        )
    return "\n".join(lines)


def cpu_table(rows: list[dict[str, Any]]) -> str:
    """CPU of the server's processes per answer (us, medians of the rounds), FastAPI /
    Express, per endpoint (lines) and connection count (columns)."""
    connections = sorted({r["connections"] for r in rows})
    lines = [
        "| workers | endpoint | " + " | ".join(f"{c} conn." for c in connections) + " |",
        "| --- | --- | " + " | ".join("---:" for _ in connections) + " |",
    ]
    table: dict[tuple[str, str], dict[tuple[int, str], int]] = {}
    for row in rows:
        cell = table.setdefault((row["workers"], row["endpoint"]), {})
        cell[(row["connections"], row["framework"])] = row["cpu_us_per_request"]
    for (workers, endpoint), cells in table.items():
        values = [
            " / ".join(str(cells.get((count, f), "")) for f in FRAMEWORKS) for count in connections
        ]
        lines.append(f"| {workers} | {endpoint} | " + " | ".join(values) + " |")
    return "\n".join(lines)


def load_summary(samples: Iterable[float]) -> dict[str, float]:
    """The 1-minute load averages sampled through the run: least, median, most."""
    values = sorted(samples)
    if not values:
        return {}
    return {
        "min": round(values[0], 2),
        "median": round(statistics.median(values), 2),
        "max": round(values[-1], 2),
    }


def chart(rows: list[dict[str, Any]], path: Path, title: str) -> None:
    """Grouped bars of requests/s, FastAPI beside Express, per endpoint and connection
    count; a panel per workers setting."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    workers = list(dict.fromkeys(row["workers"] for row in rows))
    figure, axes = plt.subplots(
        len(workers), 1, figsize=(11, 3.6 * len(workers)), squeeze=False, layout="constrained"
    )
    colours = {"fastapi": "#009688", "express": "#f2a900"}
    for axis, setting in zip(axes[:, 0], workers, strict=True):
        subset = [row for row in rows if row["workers"] == setting]
        labels = list(dict.fromkeys((row["endpoint"], row["connections"]) for row in subset))
        rps = {(row["endpoint"], row["connections"], row["framework"]): row["rps"]
               for row in subset}  # fmt: skip
        width = 0.4
        for offset, framework in enumerate(FRAMEWORKS):
            xs = [i + (offset - 0.5) * width for i in range(len(labels))]
            heights = [rps.get((e, c, framework), 0) for e, c in labels]
            bars = axis.bar(
                xs, heights, width, label={"fastapi": "FastAPI", "express": "Express"}[framework],
                color=colours[framework],
            )  # fmt: skip
            axis.bar_label(bars, fmt="{:,.0f}", fontsize=7, rotation=90, padding=2)
        axis.set_xticks(range(len(labels)), [f"{e}\n{c} conn." for e, c in labels], fontsize=8)
        axis.set_ylabel("requests/s (median)")
        axis.set_title(f"{setting} worker process{'' if setting == '1' else 'es'}", fontsize=10)
        axis.margins(y=0.25)
        axis.legend(fontsize=8, loc="upper right")
    figure.suptitle(title, fontsize=11)
    figure.savefig(path, dpi=110)
    plt.close(figure)
