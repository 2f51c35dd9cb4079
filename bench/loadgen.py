"""What the HTTP benchmarks share: core pinning, waiting for a server, and wrk runs whose
result (requests/s, latency percentiles, errors) comes back as data.

wrk (Debian's, with LuaJIT) prints its summary for people; the percentiles a benchmark
needs and the error counts by kind come from a Lua ``done()`` hook instead, which writes
one JSON line that ``parse_report`` reads.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

# Server and load generator each get a core of their own, so that neither steals the
# other's time and a run measures the server.
SERVER_CPU, LOAD_CPU = "1", "0"

INSTALL_HINT = "wrk is not installed: apt-get install wrk (tools/bazel has it)"

REPORT_MARK = "WRK_REPORT "

# wrk calls done() once, in its main Lua state, after the run; latency percentiles are in
# microseconds. %.0f, not %d: LuaJIT hands percentiles over as doubles.
REPORT_LUA = f"""
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{REPORT_MARK}{{"requests":%.0f,"duration_us":%.0f,"connect":%.0f,"read":%.0f,'
    .. '"write":%.0f,"status":%.0f,"timeout":%.0f,"p50_us":%.0f,"p99_us":%.0f,'
    .. '"max_us":%.0f}}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


@dataclass(frozen=True)
class WrkReport:
    requests: int
    duration_s: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    # Socket errors (connect, read, write, timeout) and answers other than 2xx/3xx.
    errors: dict[str, int]

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


def parse_report(stdout: str) -> WrkReport:
    """The report REPORT_LUA's done() printed into wrk's output."""
    lines = [line for line in stdout.splitlines() if line.startswith(REPORT_MARK)]
    if len(lines) != 1:
        raise ValueError(f"expected one {REPORT_MARK.strip()} line in wrk's output:\n{stdout}")
    fields = json.loads(lines[0].removeprefix(REPORT_MARK))
    if fields["duration_us"] <= 0:
        raise ValueError(f"wrk ran for no time:\n{stdout}")
    return WrkReport(
        requests=int(fields["requests"]),
        duration_s=fields["duration_us"] / 1e6,
        p50_ms=fields["p50_us"] / 1000,
        p99_ms=fields["p99_us"] / 1000,
        max_ms=fields["max_us"] / 1000,
        errors={
            kind: int(fields[kind]) for kind in ("connect", "read", "write", "status", "timeout")
        },
    )


def pinned(cpu: str, command: list[str], nice: int = 0) -> list[str]:
    """``command`` on the CPUs ``cpu`` (a taskset list), at niceness ``nice`` when that is
    not 0 (a negative one needs root: runs ahead of the machine's other work)."""
    if nice:
        command = ["nice", "-n", str(nice), *command]
    return ["taskset", "--cpu-list", cpu, *command] if shutil.which("taskset") else command


def header_lua(headers: Mapping[str, str]) -> str:
    """Lua setting wrk.headers, in every thread's state (top-level code runs in each)."""
    lines = []
    for name, value in headers.items():
        if "]==]" in name + value:
            raise ValueError("a header would close the Lua long string")
        lines.append(f"wrk.headers[ [==[{name}]==] ] = [==[{value}]==]\n")
    return "".join(lines)


def wrk(
    url: str,
    *,
    duration_s: int,
    connections: int,
    script: str = "",
    args: tuple[str, ...] = (),
    timeout_s: int = 10,
    nice: int = 0,
    headers: Mapping[str, str] | None = None,
) -> WrkReport:
    """One wrk run (one thread, on LOAD_CPU) against ``url``. ``script`` is Lua that shapes
    the requests (wrk's scripting API); the report hook is appended to it, so it must not
    define done(). ``args`` reach the script's init(args); ``nice`` as in ``pinned``;
    ``headers`` go into ``wrk.headers`` before the script runs (a bearer token)."""
    if shutil.which("wrk") is None:
        raise RuntimeError(INSTALL_HINT)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", prefix="wrk-") as lua:
        lua.write(header_lua(headers or {}) + script + "\n" + REPORT_LUA)
        lua.flush()
        # Whole seconds: wrk reads its times as seconds, minutes or hours, no fractions.
        command = [
            "wrk", "-t1", f"-c{connections}", f"-d{duration_s}s", f"--timeout={timeout_s}s",
            "-s", lua.name, url,
        ]  # fmt: skip
        if args:
            command += ["--", *args]
        result = subprocess.run(
            pinned(LOAD_CPU, command, nice), capture_output=True, text=True, check=False
        )
    if result.returncode != 0:
        raise RuntimeError(f"wrk failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return parse_report(result.stdout)


def wait_until_ok(
    url: str, server: subprocess.Popen[bytes], *, timeout_s: float = 60, log: Path | None = None
) -> None:
    """Returns once ``url`` answers 200; raises (with the server's log) if the server exits
    or the time runs out."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            output = log.read_text(errors="replace")[-4000:] if log else ""
            raise RuntimeError(f"{url} did not answer 200 in {timeout_s} s\n{output}")
        time.sleep(0.1)
