"""Runs a guide's shell commands in order, as a reader pasting them would, from the
repository root: ``python3 docs/run_commands.py docs/quick-start.md``.

``.ci/acceptance`` runs docs/quick-start.md with it, on a clean clone: the guide
scaffolds a service (which writes into the repository) and runs images in this machine's
podman, which a Bazel test must not do.

What the guide's fenced blocks mean to it:

- an ``sh`` block is commands, one a line (a backslash before the newline continues
  one), each run with bash and expected to exit 0; comment lines are skipped;
- a command whose comment says ``until Ctrl-C`` is a server: it is started, left running
  while the ``sh`` blocks that open with the comment ``# in another shell`` run, and sent
  SIGINT (Ctrl-C) before the next other block; such a block's commands are tried again
  until they succeed (the server may still be starting), for 180 s at most;
- a ``text`` block right after an ``sh`` block is what that block's last command prints
  on standard output, ``...`` standing for any text;
- a server's ``export TOKEN=...`` line (a service's development token) is pasted, as the
  guide tells the reader: later commands see ``$TOKEN``.

Other blocks (Starlark, Python) are not run. Prints each command and what became of it;
exits 1 at the first failure, having stopped the server.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from markdown_blocks import blocks, matches

SERVER = re.compile(r"#.*\buntil Ctrl-C\b")
ANOTHER_SHELL = "# in another shell"
EXPORT_TOKEN = re.compile(r"^\s*export TOKEN=(\S+)$", re.MULTILINE)
RETRY_SECONDS = 180
STOP_SECONDS = 60


class Failure(Exception):
    pass


@dataclass(frozen=True)
class Step:
    line: int
    commands: list[str]
    another_shell: bool
    expected: str | None


def commands_of(text: str) -> list[str]:
    """The commands of an ``sh`` block: continued lines joined, comment lines dropped."""
    found: list[str] = []
    for line in text.replace("\\\n", " ").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            found.append(line.strip())
    return found


def steps_of(markdown: str, name: str) -> list[Step]:
    fenced = blocks(markdown, name)
    steps: list[Step] = []
    for index, block in enumerate(fenced):
        if block.language != "sh":
            continue
        following = fenced[index + 1] if index + 1 < len(fenced) else None
        expected = following.text.strip() if following and following.language == "text" else None
        commands = commands_of(block.text)
        if not commands:
            raise ValueError(f"{name}:{block.line}: the sh block has no command")
        servers = [c for c in commands if SERVER.search(c)]
        if servers and servers != commands[-1:]:
            raise ValueError(f"{name}:{block.line}: a server ('until Ctrl-C') ends its block")
        if servers and expected is not None:
            raise ValueError(f"{name}:{block.line}: a server's output is not compared")
        another = block.text.lstrip().startswith(ANOTHER_SHELL)
        steps.append(Step(block.line, commands, another, expected))
    return steps


class Runner:
    def __init__(self, document: str, logs: Path) -> None:
        self.document = document
        self.logs = logs
        self.env = dict(os.environ)
        self.server: subprocess.Popen[bytes] | None = None
        self.server_log: Path | None = None
        self.count = 0

    def log_path(self) -> Path:
        self.count += 1
        return self.logs / f"{self.count:02d}.log"

    def run(self, where: str, command: str, expected: str | None) -> str:
        """Runs ``command`` to its end; its standard output, when it succeeded as expected."""
        log = self.log_path()
        with log.open("wb") as stderr:
            done = subprocess.run(
                ["bash", "-c", command], env=self.env, stdout=subprocess.PIPE, stderr=stderr
            )
        output = done.stdout.decode(errors="replace")
        if done.returncode != 0:
            raise Failure(
                f"{where}: exited with {done.returncode}\n{output}{tail(log.read_text())}"
            )
        if expected is not None and not matches(expected, output.strip()):
            raise Failure(f"{where}: printed\n{output}\nwhere the guide shows\n{expected}")
        return output

    def start(self, where: str, command: str) -> None:
        self.server_log = self.log_path()
        with self.server_log.open("wb") as output:
            self.server = subprocess.Popen(
                ["bash", "-c", command],
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def paste_token(self) -> None:
        if self.server_log is not None:
            printed = EXPORT_TOKEN.search(self.server_log.read_text(errors="replace"))
            if printed:
                self.env["TOKEN"] = printed[1]

    def stop(self) -> None:
        """Ctrl-C to the server's process group; every process of it must end."""
        server, self.server = self.server, None
        if server is None:
            return
        group = server.pid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGINT)
        deadline = time.monotonic() + STOP_SECONDS
        while time.monotonic() < deadline:
            server.poll()
            try:
                os.killpg(group, 0)
            except ProcessLookupError:
                print("  stopped (Ctrl-C)", flush=True)
                return
            time.sleep(0.2)
        os.killpg(group, signal.SIGKILL)
        server.wait()
        raise Failure(f"the server did not stop within {STOP_SECONDS} s of Ctrl-C")

    def retry(self, where: str, command: str, expected: str | None) -> None:
        deadline = time.monotonic() + RETRY_SECONDS
        while True:
            if self.server is None or self.server.poll() is not None:
                assert self.server_log is not None
                raise Failure(
                    f"{where}: the server it needs is not running:\n"
                    + tail(self.server_log.read_text(errors="replace"))
                )
            self.paste_token()
            try:
                self.run(where, command, expected)
                return
            except Failure:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)

    def step(self, step: Step) -> None:
        if step.another_shell and self.server is None:
            raise Failure(f"{self.document}:{step.line}: '{ANOTHER_SHELL}' with no server running")
        if not step.another_shell:
            self.stop()
        for number, command in enumerate(step.commands):
            where = f"{self.document}:{step.line}: {command}"
            expected = step.expected if number == len(step.commands) - 1 else None
            print(f"$ {command}", flush=True)
            started = time.monotonic()
            if SERVER.search(command):
                self.start(where, command)
                print("  started", flush=True)
            elif step.another_shell:
                self.retry(where, command, expected)
            else:
                self.run(where, command, expected)
            print(f"  ok ({time.monotonic() - started:.0f} s)", flush=True)


def tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.splitlines()[-lines:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("guide", type=Path, help="e.g. docs/quick-start.md")
    parser.add_argument("--logs", type=Path, help="where each command's output goes")
    args = parser.parse_args(argv)
    steps = steps_of(args.guide.read_text(encoding="utf-8"), args.guide.as_posix())
    logs = args.logs or Path(tempfile.mkdtemp(prefix="run_commands-"))
    logs.mkdir(parents=True, exist_ok=True)
    runner = Runner(args.guide.as_posix(), logs)
    try:
        for step in steps:
            runner.step(step)
        runner.stop()
    except Failure as failure:
        print(f"FAILED {failure}", flush=True)
        try:
            runner.stop()
        except Failure as stopping:
            print(stopping, flush=True)
        return 1
    print(f"{args.guide}: {sum(len(s.commands) for s in steps)} commands ran as written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
