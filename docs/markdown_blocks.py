"""The fenced code blocks of a Markdown file, for the tests that run a guide's commands.

``services/analytics``'s ``:analytics_md_test`` runs docs/analytics.md's curl examples
with it, and ``docs/run_commands.py`` (``.ci/acceptance``) docs/quick-start.md's
commands. Standard library only: ``.ci/acceptance`` runs it with the host's Python.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ELLIPSIS = "..."


@dataclass(frozen=True)
class Block:
    line: int
    language: str
    text: str


def blocks(markdown: str, name: str = "the document") -> list[Block]:
    """The fenced code blocks of ``markdown``, with the line each opens on; ``name`` is
    what an error calls the document."""
    found: list[Block] = []
    opened: tuple[int, str, list[str]] | None = None
    for number, line in enumerate(markdown.splitlines(), start=1):
        if opened is None:
            if line.startswith("```"):
                opened = (number, line[3:].strip(), [])
        elif line.startswith("```"):
            start, language, body = opened
            found.append(Block(start, language, "\n".join(body)))
            opened = None
        else:
            opened[2].append(line)
    if opened is not None:
        raise ValueError(f"{name}:{opened[0]}: the code block is never closed")
    return found


def matches(expected: str, actual: str) -> bool:
    """Whether ``actual`` is ``expected`` with each ``...`` standing for any text."""
    pattern = ".*?".join(re.escape(part) for part in expected.split(ELLIPSIS))
    return re.fullmatch(pattern, actual, re.DOTALL) is not None
