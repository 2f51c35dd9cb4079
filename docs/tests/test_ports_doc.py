"""docs/ports.md lists exactly the ports of services/ports.bzl."""

import json
import os
from pathlib import Path

PORTS = json.loads(Path(os.environ["PORTS_JSON"]).read_text())
DOC = Path(os.environ["PORTS_MD"]).read_text()


def documented() -> dict[str, int]:
    rows = {}
    for line in DOC.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].isdigit():
            rows[cells[1]] = int(cells[0])
    return rows


def test_every_reserved_port_is_documented_and_nothing_else():
    rows = documented()
    missing = {name: port for name, port in PORTS.items() if rows.get(name) != port}
    stale = {name: port for name, port in rows.items() if PORTS.get(name) != port}
    assert not missing, f"add to docs/ports.md: {missing}"
    assert not stale, f"remove from docs/ports.md or fix: {stale}"


def test_fastapi_ports_are_in_their_range():
    for line in DOC.splitlines():
        if "| fastapi |" in line and line.split("|")[1].strip().isdigit():
            assert 4100 <= int(line.split("|")[1]) <= 4199, line
