"""run_commands.py on small guides: what it runs, in which order, and how it fails."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

import pytest
from run_commands import main, steps_of

QUICK_START = Path(os.environ["QUICK_START"])
FENCE = "```"

# A server the guides start: answers GET / with its argument once a file it is told to
# wait for exists, and prints a token line as a development service does.
SERVER = textwrap.dedent(
    """\
    import http.server, os, sys, time
    print("    export TOKEN=secret-42", flush=True)
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200); self.end_headers(); self.wfile.write(sys.argv[2].encode())
    http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
    """
)


def guide(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "guide.md"
    path.write_text(textwrap.dedent(text).replace("'''", FENCE))
    return path


@pytest.fixture
def server(tmp_path: Path) -> str:
    (tmp_path / "server.py").write_text(SERVER)
    return f"{sys.executable} {tmp_path / 'server.py'}"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(port: int) -> str:
    return (
        f'{sys.executable} -c "import urllib.request as u; '
        f"print(u.urlopen('http://127.0.0.1:{port}/').read().decode())\""
    )


def test_runs_commands_servers_and_checks_output(tmp_path, server, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    port = free_port()
    path = guide(
        tmp_path,
        f"""\
        # A guide

        '''sh
        echo one > first.txt   # a comment
        echo two \\
          words
        '''

        '''text
        two words
        '''

        '''starlark
        not = run()
        '''

        '''sh
        {server} {port} hello   # serves until Ctrl-C
        '''

        '''sh
        # in another shell
        {fetch(port)}
        '''

        '''text
        hel...
        '''

        '''sh
        # in another shell
        test "$TOKEN" = secret-42
        '''

        '''sh
        cat first.txt
        '''
        """,
    )
    assert main([str(path), "--logs", str(tmp_path / "logs")]) == 0
    out = capsys.readouterr().out
    assert "stopped (Ctrl-C)" in out
    assert out.splitlines()[-1] == f"{path}: 6 commands ran as written"
    # The server was stopped before the last block ran.
    assert out.index("stopped (Ctrl-C)") < out.index("$ cat first.txt")


def test_a_failing_command_stops_the_run(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = guide(
        tmp_path,
        """\
        '''sh
        false
        touch never
        '''
        """,
    )
    assert main([str(path)]) == 1
    assert "FAILED" in capsys.readouterr().out
    assert not (tmp_path / "never").exists()


def test_output_that_differs_fails(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = guide(
        tmp_path,
        """\
        '''sh
        echo something else
        '''

        '''text
        what the guide says
        '''
        """,
    )
    assert main([str(path)]) == 1
    assert "where the guide shows\nwhat the guide says" in capsys.readouterr().out


def test_another_shell_needs_a_server(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = guide(tmp_path, "'''sh\n# in another shell\ntrue\n'''\n")
    assert main([str(path)]) == 1
    assert "with no server running" in capsys.readouterr().out


def test_a_server_ends_its_block(tmp_path):
    with pytest.raises(ValueError, match="a server"):
        steps_of("```sh\nserve   # until Ctrl-C\ntrue\n```\n", "guide.md")


def test_the_quick_start_parses():
    steps = steps_of(QUICK_START.read_text(), QUICK_START.name)
    commands = [c for s in steps for c in s.commands]
    assert "tools/bazel run //services:new_service -- pricing" in commands
    assert "tools/bazel run //deploy:update" in commands
    assert sum("until Ctrl-C" in c for c in commands) == 3
    # The scaffolder's last line is the deployment's update, which the guide runs.
    (scaffold,) = [s for s in steps if s.commands[0].startswith("tools/bazel run //services:new")]
    assert scaffold.expected is not None
    assert scaffold.expected.splitlines()[-1].strip() == "tools/bazel run //deploy:update"
