"""Starts every service of a repository, as ``bazel run`` starts each one, and stops them.

What ``services_launcher`` runs (``tools/bazel run //services:up``). It reads the
services from a configuration the rule writes (each service's ``bazel run`` program, the
environment its BUILD declaration gives that program, and its manifest) and then:

- orders them by the ``depends_on`` of their manifests, and starts each one once the
  services it depends on are ready (services that depend on nothing start together);
- gives each the environment of ``bazel run`` (BUILD_WORKSPACE_DIRECTORY included), so a
  service that needs PostgreSQL starts the throwaway one it starts under ``bazel run``,
  and prints the development token it prints there;
- streams every line they print, prefixed by the service's name;
- waits for each one's readiness path (``/health/ready``) to answer 200 for that service,
  with a timeout, then prints a table of name, port, status and docs URL;
- on Ctrl-C or SIGTERM stops them in reverse order: SIGTERM to each service, which stops
  what it started (its PostgreSQL), SIGKILL after a timeout, and then whatever is left of
  the service's process group (a PostgreSQL whose service died without stopping it).

Each service runs in a session of its own, so a Ctrl-C in the terminal reaches the
launcher alone, which then stops the services in order.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

# The launcher's own lines carry this prefix, the services' lines their names.
SELF = "up"


class LauncherError(Exception):
    """A problem with the services' configuration, said in one line."""


@dataclass
class Service:
    name: str
    port: int
    framework: str
    ready_path: str
    executable: Path
    env: dict[str, str]
    depends_on: list[str] = field(default_factory=list)
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    ready_after: float | None = None
    status: str = "waiting"
    docs_url: str | None = None
    pump: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


def load_services(config_path: Path, runfiles: Path) -> list[Service]:
    """The services of the rule's configuration, each with its manifest read."""
    config = json.loads(config_path.read_text())
    services = []
    for entry in config["services"]:
        manifest = json.loads((runfiles / entry["manifest"]).read_text())
        services.append(
            Service(
                name=manifest["name"],
                port=int(manifest["port"]),
                framework=manifest.get("framework", ""),
                ready_path=manifest.get("health", {}).get("ready", "/health/ready"),
                executable=runfiles / entry["executable"],
                env=dict(entry.get("env", {})),
                depends_on=list(manifest.get("depends_on", [])),
            )
        )
    return services


def dependency_waves(services: Sequence[Service]) -> list[list[Service]]:
    """The services in waves: each wave depends only on the waves before it. Fails naming
    an unknown dependency or a cycle."""
    by_name = {service.name: service for service in services}
    for service in services:
        for dependency in service.depends_on:
            if dependency not in by_name:
                raise LauncherError(
                    f"{service.name} depends on {dependency}, which is not a service here; "
                    f"known: {', '.join(sorted(by_name))}"
                )
    placed: set[str] = set()
    waves: list[list[Service]] = []
    remaining = list(services)
    while remaining:
        wave = [s for s in remaining if all(d in placed for d in s.depends_on)]
        if not wave:
            cycle = ", ".join(sorted(s.name for s in remaining))
            raise LauncherError(f"the dependencies of {cycle} form a cycle")
        wave.sort(key=lambda s: s.name)
        waves.append(wave)
        placed.update(s.name for s in wave)
        remaining = [s for s in remaining if s.name not in placed]
    return waves


def select(services: Sequence[Service], names: Iterable[str]) -> list[Service]:
    """The services named, with everything they depend on; all of them when none is named."""
    wanted = list(names)
    if not wanted:
        return list(services)
    by_name = {service.name: service for service in services}
    chosen: set[str] = set()
    stack = list(wanted)
    while stack:
        name = stack.pop()
        if name not in by_name:
            known = ", ".join(sorted(by_name))
            raise LauncherError(f"no service {name!r}; the services are {known}")
        if name not in chosen:
            chosen.add(name)
            stack.extend(by_name[name].depends_on)
    return [service for service in services if service.name in chosen]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_in_use(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def child_environment(service: Service, environ: Mapping[str, str]) -> dict[str, str]:
    """What the service runs with: the caller's environment (as ``bazel run`` passes it
    on), the environment of its BUILD declaration, and its port. Without a load balancer in
    front there is nothing to drain for: DRAIN_SECONDS is 0 unless the caller sets it."""
    env = dict(environ)
    # The launcher's own Python path is not the service's: its program sets its own.
    for name in ("PYTHONPATH", "PYTHONSAFEPATH", "RUNFILES_MANIFEST_FILE"):
        env.pop(name, None)
    env.setdefault("DRAIN_SECONDS", "0")
    env.update(service.env)
    env["PORT"] = str(service.port)
    return env


class Console:
    """Lines from many threads, each whole, prefixed by who printed it."""

    COLORS = ("36", "33", "35", "32", "34", "31")

    def __init__(self, stream: IO[str], names: Sequence[str]) -> None:
        self.stream = stream
        self.width = max([len(SELF), *(len(n) for n in names)])
        # Reentrant: the signal handler prints from the main thread, which may be printing.
        self.lock = threading.RLock()
        self.color = stream.isatty() and "NO_COLOR" not in os.environ
        self.colors = {name: self.COLORS[i % len(self.COLORS)] for i, name in enumerate(names)}

    def prefix(self, name: str) -> str:
        text = f"{name:<{self.width}} | "
        if self.color:
            code = "1" if name == SELF else self.colors.get(name, "0")
            return f"\033[{code}m{text}\033[0m"
        return text

    def line(self, name: str, text: str) -> None:
        with self.lock:
            self.stream.write(self.prefix(name) + text + "\n")
            self.stream.flush()

    def say(self, text: str) -> None:
        self.line(SELF, text)

    def block(self, text: str) -> None:
        with self.lock:
            self.stream.write(text + "\n")
            self.stream.flush()


def pump(service: Service, console: Console) -> None:
    """Copies the service's output to the console, line by line, under its name."""
    assert service.process is not None
    assert service.process.stdout is not None
    for raw in iter(service.process.stdout.readline, b""):
        console.line(service.name, raw.decode("utf-8", "replace").rstrip("\r\n"))
    service.process.stdout.close()


def probe_ready(service: Service) -> bool:
    """Whether the service's readiness path answers 200, from this service (not from
    something else that listens on its port)."""
    url = f"http://127.0.0.1:{service.port}{service.ready_path}"
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            body = answer.read()
    except (OSError, urllib.error.URLError):
        return False
    try:
        document = json.loads(body)
    except ValueError:
        return True
    named = document.get("service") if isinstance(document, dict) else None
    return named in (None, service.name)


def docs_url(service: Service) -> str | None:
    """The URL of the service's API docs, if it serves them."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{service.port}/docs", timeout=5) as answer:
            if answer.status == 200:
                return f"http://localhost:{service.port}/docs"
    except (OSError, urllib.error.URLError):
        pass
    return None


def table(services: Sequence[Service]) -> str:
    rows = [("service", "port", "status", "docs")]
    rows += [(s.name, str(s.port), s.status, s.docs_url or "-") for s in services]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [
        "  ".join(cell.ljust(widths[i]) if i < 3 else cell for i, cell in enumerate(row))
        for row in rows
    ]
    return "\n".join(lines)


def group_members(pgid: int) -> list[str]:
    """What is left in a process group: "pid command" for each member."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[2]) != pgid:
                continue
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except (OSError, ValueError, IndexError):
            continue
        members.append(f"{entry.name} {command[:80]}")
    return members


def signal_group(pgid: int, signum: int) -> bool:
    """Sends ``signum`` to a process group; False when nothing is left in it."""
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        return False
    return True


class Launcher:
    def __init__(
        self,
        services: Sequence[Service],
        console: Console,
        timeout_s: float,
        stop_timeout_s: float,
        environ: Mapping[str, str],
    ) -> None:
        self.services = list(services)
        self.waves = dependency_waves(self.services)
        self.console = console
        self.timeout_s = timeout_s
        self.stop_timeout_s = stop_timeout_s
        self.environ = environ
        self.stop_requested = threading.Event()
        self.failed = False

    def request_stop(self, signum: int, _frame: object) -> None:
        if self.stop_requested.is_set():
            # A second Ctrl-C: no more waiting.
            self.console.say("stopping now (SIGKILL)")
            for service in self.services:
                if service.process is not None:
                    signal_group(service.process.pid, signal.SIGKILL)
            return
        self.console.say(f"{signal.Signals(signum).name}: stopping every service")
        self.stop_requested.set()

    def start(self, service: Service) -> None:
        if port_in_use(service.port):
            service.status = f"port {service.port} in use"
            self.failed = True
            self.console.say(
                f"{service.name}: port {service.port} is already in use on this machine; stop "
                f"what listens there, or give it another: -- --port {service.name}=PORT"
            )
            return
        self.console.say(f"starting {service.name} on port {service.port}")
        service.process = subprocess.Popen(
            [str(service.executable)],
            env=child_environment(service, self.environ),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        service.started_at = time.monotonic()
        service.status = "starting"
        service.pump = threading.Thread(target=pump, args=(service, self.console), daemon=True)
        service.pump.start()

    def bring_up(self) -> bool:
        """Starts the services wave by wave; True once each is ready or has failed (False
        when a stop was asked for on the way)."""
        started = time.monotonic()
        for wave in self.waves:
            for service in wave:
                blocked = [d for d in service.depends_on if self.by_name(d).status != "ready"]
                if blocked:
                    service.status = f"not started: {', '.join(blocked)} not ready"
                    self.failed = True
                else:
                    self.start(service)
            starting = [s for s in wave if s.status == "starting"]
            while starting:
                if self.stop_requested.wait(0.25):
                    return False
                for service in list(starting):
                    assert service.process is not None
                    code = service.process.poll()
                    elapsed = time.monotonic() - service.started_at
                    if code is not None:
                        service.status = f"exited ({code})"
                    elif probe_ready(service):
                        service.status = "ready"
                        service.ready_after = elapsed
                        service.docs_url = docs_url(service)
                        self.console.say(f"{service.name} is ready ({elapsed:.1f} s)")
                    elif elapsed > self.timeout_s:
                        service.status = f"not ready after {self.timeout_s:.0f} s"
                    else:
                        continue
                    if service.status != "ready":
                        self.failed = True
                        self.console.say(f"{service.name}: {service.status}; its log is above")
                    starting.remove(service)
        ready = [s for s in self.services if s.status == "ready"]
        self.console.block("\n" + table(self.services) + "\n")
        self.console.say(
            f"{len(ready)} of {len(self.services)} services ready in "
            f"{time.monotonic() - started:.1f} s; Ctrl-C stops them"
        )
        return True

    def by_name(self, name: str) -> Service:
        return next(s for s in self.services if s.name == name)

    def watch(self) -> None:
        """Until a stop is asked for or no service runs any more."""
        reported: set[str] = set()
        while not self.stop_requested.wait(0.5):
            running = False
            for service in self.services:
                if service.process is None:
                    continue
                code = service.process.poll()
                if code is None:
                    running = True
                elif service.name not in reported:
                    reported.add(service.name)
                    if service.status == "ready":
                        service.status = f"exited ({code})"
                        self.failed = True
                        self.console.say(f"{service.name} exited with status {code}")
            if not running:
                self.console.say("no service is running any more")
                return

    def stop(self, service: Service) -> None:
        """Stops a service, then whatever is left in its process group."""
        process = service.process
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=self.stop_timeout_s)
        except subprocess.TimeoutExpired:
            self.console.say(
                f"{service.name} did not stop within {self.stop_timeout_s:.0f} s: SIGKILL"
            )
            self.failed = True
            signal_group(process.pid, signal.SIGKILL)
            process.wait()
        # What the service started and left running (a PostgreSQL it did not stop): its
        # process group, since every service runs in a session of its own.
        left = group_members(process.pid)
        if left:
            self.failed = True
            self.console.say(f"{service.name} left {len(left)} process(es) running: {left}")
            signal_group(process.pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            while group_members(process.pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            signal_group(process.pid, signal.SIGKILL)
        if service.pump is not None:
            service.pump.join(timeout=5)
        self.console.say(f"{service.name} stopped ({process.returncode})")

    def shut_down(self) -> None:
        """Stops the services in reverse dependency order, a wave at a time."""
        for wave in reversed(self.waves):
            threads = [
                threading.Thread(target=self.stop, args=(service,))
                for service in wave
                if service.process is not None
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        self.console.say("every service stopped")

    def run(self) -> int:
        try:
            if self.bring_up():
                self.watch()
        finally:
            self.shut_down()
        return 1 if self.failed else 0


def parse_ports(values: Sequence[str]) -> dict[str, int]:
    ports = {}
    for value in values:
        name, sep, port = value.partition("=")
        if not sep or not port.isdigit():
            raise LauncherError(f"--port {value}: write it as NAME=PORT, e.g. --port template=4150")
        ports[name] = int(port)
    return ports


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bazel run //services:up --",
        description="Start every service (or those named, with what they depend on), wait "
        "until each is ready, stream their logs; Ctrl-C or SIGTERM stops them.",
    )
    parser.add_argument("services", nargs="*", metavar="SERVICE", help="only these services")
    parser.add_argument("--config", required=True, help=argparse.SUPPRESS)
    parser.add_argument(
        "--timeout", type=float, default=180, help="seconds a service has to become ready"
    )
    parser.add_argument(
        "--stop-timeout",
        type=float,
        default=30,
        help="seconds a service has to stop after SIGTERM, before SIGKILL",
    )
    parser.add_argument(
        "--port", action="append", default=[], metavar="NAME=PORT", help="serve NAME on PORT"
    )
    parser.add_argument(
        "--any-port",
        action="store_true",
        help="serve every service on a free port instead of its registered one",
    )
    args = parser.parse_args(argv)
    runfiles = Path(os.environ.get("RUNFILES_DIR", "."))
    try:
        services = select(load_services(Path(args.config), runfiles), args.services)
        ports = parse_ports(args.port)
        for name in ports:
            select(services, [name])
        for service in services:
            if args.any_port:
                service.port = free_port()
            service.port = ports.get(service.name, service.port)
        console = Console(sys.stdout, [s.name for s in services])
        launcher = Launcher(services, console, args.timeout, args.stop_timeout, os.environ)
    except LauncherError as error:
        print(f"{SELF}: {error}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGINT, launcher.request_stop)
    signal.signal(signal.SIGTERM, launcher.request_stop)
    order = " -> ".join(", ".join(s.name for s in wave) for wave in launcher.waves)
    console.say(f"{len(services)} services, in dependency order: {order}")
    return launcher.run()


if __name__ == "__main__":
    sys.exit(main())
