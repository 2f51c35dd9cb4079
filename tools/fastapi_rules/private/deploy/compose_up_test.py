"""compose_deployment's ``:compose_up_test``: the generated compose file brought up for real.

In a network namespace of its own (the compose file puts every container on the host
network at fixed ports, which other tests and services of the machine may hold) and a
private podman store, it loads every image from its tarball, runs ``podman-compose up -d``
with a fresh password, a key set of its own and its issuer, and waits until every service's
readiness path answers 200, PostgreSQL accepts connections, Prometheus and the blackbox
exporter are ready. Then it checks what the compose file promises:

- each container runs as 65532 on a read-only root file system on the host network;
- each FastAPI service accepts a token of the mounted key set: one of its routes that
  needs scopes answers 401 without a token, and neither 401 nor 403 with a token granting
  them;
- Prometheus scrapes every service's metrics and probes every readiness path (all targets
  up, every probe successful) and has loaded the rules;
- each health check's command succeeds in its image, run as a container of its own on the
  same network (``podman exec``, which health checks use, does not reach a container's
  root file system where podman runs inside a chroot, as in the build environment);

and finally ``podman-compose down`` removes every container.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import secrets
import shlex
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import yaml
from podman import Podman, PodmanError, private_podman
from servicekit.testing import TokenIssuer

READY_TIMEOUT_S = 240.0
PROMETHEUS_TIMEOUT_S = 120.0
USER = "65532:65532"


class ComposeTestError(Exception):
    pass


def enter_private_network() -> None:
    """A network namespace of this process alone, with its loopback up: the containers
    share it (host network), and no port of the machine is in the way."""
    os.unshare(os.CLONE_NEWNET)
    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH14s", b"lo", 0, b"")
        flags = struct.unpack("16sH14s", fcntl.ioctl(sock, siocgifflags, request))[1]
        fcntl.ioctl(sock, siocsifflags, struct.pack("16sH14s", b"lo", flags | iff_up, b""))


def get(url: str, headers: dict[str, str] | None = None, timeout: float = 5) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def answers(url: str) -> bool:
    try:
        return get(url, timeout=2)[0] == 200
    except OSError:
        return False


def accepts(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
    return False


class Compose:
    """podman-compose on the generated file, with the private store's podman."""

    def __init__(self, podman: Podman, compose_file: Path, env: dict[str, str]) -> None:
        if not shutil.which("podman-compose"):
            raise ComposeTestError(
                "podman-compose is not installed; run tests through tools/bazel, or skip "
                "container tests with --test_tag_filters=-container"
            )
        global_args = " ".join(shlex.quote(arg) for arg in podman.command[1:])
        self.command = ["podman-compose", "--podman-args", global_args, "-f", str(compose_file)]
        self.env = {**os.environ, **env, "PODMAN_IGNORE_CGROUPSV1_WARNING": "1"}

    def version(self) -> str:
        lines = [line for line in self("version").splitlines() if " version " in line]
        return " and ".join(lines).replace(" version", "")

    def __call__(self, *args: str) -> str:
        result = subprocess.run(
            [*self.command, *args], capture_output=True, text=True, env=self.env, check=False
        )
        if result.returncode != 0:
            raise ComposeTestError(
                f"podman-compose {' '.join(args)} exited {result.returncode}:\n"
                + (result.stdout + result.stderr)[-6000:]
            )
        return result.stdout


def store_mb(podman: Podman) -> int:
    """The size of the private store (images, containers, volumes): vfs copies every
    layer and every container's root in full."""
    storage = podman.command[podman.command.index("--root") + 1]
    du = subprocess.run(["du", "-sm", storage], capture_output=True, text=True, check=False)
    return int(du.stdout.split()[0]) if du.returncode == 0 else -1


def wait_for(what: dict[str, Any], podman: Podman, timeout: float) -> dict[str, float]:
    """Seconds until each check passed; fails naming those that did not, with their logs."""
    started = time.monotonic()
    passed: dict[str, float] = {}
    while time.monotonic() - started < timeout:
        for name, check in what.items():
            if name not in passed and check():
                passed[name] = time.monotonic() - started
        if len(passed) == len(what):
            return passed
        time.sleep(0.25)
    missing = [name for name in what if name not in passed]
    raise ComposeTestError(
        f"not ready within {timeout:.0f} s: {', '.join(missing)}\n" + logs(podman, missing)
    )


def containers(podman: Podman) -> dict[str, dict[str, Any]]:
    """Every container by compose service name."""
    ids = podman("ps", "--all", "--quiet").split()
    found = {}
    for record in json.loads(podman("inspect", *ids)) if ids else []:
        service = record["Config"]["Labels"].get("com.docker.compose.service")
        found[service or record["Name"]] = record
    return found


def logs(podman: Podman, services: list[str]) -> str:
    text = []
    for service, record in containers(podman).items():
        if service in services or not services:
            result = podman.run("logs", "--tail", "30", record["Id"], check=False)
            state = record["State"]["Status"]
            text.append(f"--- {service} ({state}):\n{(result.stdout + result.stderr)[-3000:]}")
    return "\n".join(text)


def check_containers(podman: Podman, expected: list[str]) -> None:
    found = containers(podman)
    if sorted(found) != sorted(expected):
        raise ComposeTestError(f"containers {sorted(found)}, expected {sorted(expected)}")
    for service, record in found.items():
        config, host = record["Config"], record["HostConfig"]
        problems = []
        if config.get("User") != USER:
            problems.append(f"user {config.get('User')!r}")
        if not host.get("ReadonlyRootfs"):
            problems.append("a writable root file system")
        if host.get("NetworkMode") != "host":
            problems.append(f"network {host.get('NetworkMode')!r}")
        if record["State"]["Status"] != "running":
            problems.append(f"state {record['State']['Status']}")
        if problems:
            raise ComposeTestError(f"{service} runs with {', '.join(problems)}")


def call(url: str, method: str, headers: dict[str, str] | None = None) -> int:
    """The status of a GET, or of a POST with an empty JSON object (a 422 at worst)."""
    data = b"{}" if method == "post" else None
    request = urllib.request.Request(
        url,
        data=data,
        method=method.upper(),
        headers={**(headers or {}), **({"content-type": "application/json"} if data else {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def check_tokens(manifests: list[dict[str, Any]], issuer_dir: Path) -> list[str]:
    """Per FastAPI service: a route without path parameters that needs scopes (a GET,
    else a POST), called without a token (401) and with a token of the mounted key set
    granting its scopes (neither 401 nor 403, nor a 5xx)."""
    lines = []
    for manifest in manifests:
        if manifest["framework"] != "fastapi":
            continue
        base = f"http://127.0.0.1:{manifest['port']}"
        status, body = get(base + "/openapi.json")
        if status != 200:
            raise ComposeTestError(f"{manifest['name']}: /openapi.json answered {status}")
        routes = []
        for path, operations in json.loads(body)["paths"].items():
            for method in ("get", "post"):
                security = operations.get(method, {}).get("security") or []
                scopes = sorted({scope for entry in security for scopes in entry.values()
                                 for scope in scopes})  # fmt: skip
                if "{" not in path and scopes:
                    routes.append((method != "get", path, method, scopes))
        if not routes:
            lines.append(f"{manifest['name']}: no route needing a scope to call")
            continue
        _, path, method, scopes = min(routes)
        issuer = TokenIssuer.create(issuer_dir, audience=manifest["name"])
        anonymous = call(base + path, method)
        status = call(base + path, method, issuer.headers(*scopes))
        if anonymous != 401 or status in (401, 403) or status >= 500:
            raise ComposeTestError(
                f"{manifest['name']}: {method.upper()} {path} answered {anonymous} without a "
                f"token and {status} with one granting {' '.join(scopes)}"
            )
        lines.append(
            f"{manifest['name']}: {method.upper()} {path}: 401 without a token, {status} with "
            f"one granting {' '.join(scopes)}"
        )
    return lines


def query(prometheus: str, expression: str) -> list[dict[str, Any]]:
    url = f"{prometheus}/api/v1/query?" + urllib.parse.urlencode({"query": expression})
    status, body = get(url)
    if status != 200:
        raise ComposeTestError(f"Prometheus answered {status} to {expression}")
    return json.loads(body)["data"]["result"]


def check_prometheus(prometheus: str, names: list[str], podman: Podman) -> float:
    """Seconds until every target was up and every probe successful."""
    started = time.monotonic()
    want = len(names) * 2  # a metrics job and a readiness probe per service
    state = ""
    while time.monotonic() - started < PROMETHEUS_TIMEOUT_S:
        status, body = get(f"{prometheus}/api/v1/targets")
        targets = json.loads(body)["data"]["activeTargets"] if status == 200 else []
        up = [t for t in targets if t["health"] == "up"]
        probes = {
            r["metric"].get("service"): r["value"][1] for r in query(prometheus, "probe_success")
        }
        state = f"{len(up)} of {len(targets)} targets up, probes {probes}"
        if len(targets) == want and len(up) == want and all(probes.get(n) == "1" for n in names):
            break
        time.sleep(1)
    else:
        raise ComposeTestError(
            f"Prometheus: {state} after {PROMETHEUS_TIMEOUT_S:.0f} s\n" + logs(podman, [])
        )
    status, body = get(f"{prometheus}/api/v1/rules")
    groups = {g["name"]: g for g in json.loads(body)["data"]["groups"]}
    unhealthy = [r["name"] for g in groups.values() for r in g["rules"] if r["health"] == "err"]
    if {"service-requests", "service-alerts"} - set(groups) or unhealthy:
        raise ComposeTestError(f"Prometheus rules: groups {sorted(groups)}, failing {unhealthy}")
    return time.monotonic() - started


def check_healthchecks(podman: Podman, compose: dict[str, Any]) -> list[str]:
    """Each service's health check command, run in its image as a container of its own."""
    lines = []
    for name, service in compose["services"].items():
        test = service.get("healthcheck", {}).get("test")
        if not test:
            continue
        kind, program, *arguments = test
        if kind != "CMD":
            raise ComposeTestError(f"{name}: health check {kind}: the images have no shell")
        result = podman.run(
            "run", "--rm", "--network", "host", "--user", USER, "--read-only",
            "--entrypoint", program, service["image"], *arguments, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise ComposeTestError(
                f"{name}: its health check {test[1:]} exited {result.returncode}:\n"
                + (result.stdout + result.stderr)[-2000:]
            )
        lines.append(name)
    return lines


def run(compose_file: Path, manifest_files: list[Path], images: list[Path]) -> None:
    manifests = [json.loads(path.read_text()) for path in manifest_files]
    enter_private_network()
    work = Path(tempfile.mkdtemp(prefix="compose-", dir="/tmp"))
    try:
        for generated in compose_file.parent.iterdir():
            shutil.copyfile(generated, work / generated.name)
        document = yaml.safe_load((work / compose_file.name).read_text())
        issuer = TokenIssuer.create(work / "identity", audience="unused")
        (work / "identity").chmod(0o755)
        env = {
            "POSTGRES_PASSWORD": secrets.token_hex(16),
            "AUTH_ISSUER": issuer.auth.issuer or "",
            "JWKS_FILE": str(issuer.identity.jwks_file),
        }
        with private_podman() as podman:
            started = time.monotonic()
            for image in images:
                podman("load", "--input", str(image))
            loaded = time.monotonic() - started
            compose = Compose(podman, work / compose_file.name, env)
            started = time.monotonic()
            try:
                compose("up", "--detach")
                up = time.monotonic() - started
                checks: dict[str, Any] = {
                    m["name"]: (lambda url=f"http://127.0.0.1:{m['port']}{m['health']['ready']}":
                                answers(url))
                    for m in manifests
                }  # fmt: skip
                if "postgres" in document["services"]:
                    checks["postgres"] = lambda: accepts(5432)
                checks["prometheus"] = lambda: answers("http://127.0.0.1:9090/-/ready")
                checks["blackbox"] = lambda: answers("http://127.0.0.1:9115/-/healthy")
                ready = wait_for(checks, podman, READY_TIMEOUT_S)
                all_ready = time.monotonic() - started
                print(f"images loaded in {loaded:.1f} s; podman-compose up -d took {up:.1f} s")
                for name, seconds in sorted(ready.items(), key=lambda item: item[1]):
                    print(f"  {name} ready {seconds:.1f} s after up returned")
                print(f"every container ready {all_ready:.1f} s after up began")
                print(f"{compose.version()}; the private store holds {store_mb(podman)} MB")
                check_containers(podman, list(document["services"]))
                print(f"each of {len(document['services'])} containers: {USER}, read-only, host")
                for line in check_tokens(manifests, work / "identity"):
                    print(line)
                scraped = check_prometheus(
                    "http://127.0.0.1:9090", [m["name"] for m in manifests], podman
                )
                print(
                    f"Prometheus: every target up and every probe successful after {scraped:.1f} s"
                )
                print(
                    "health checks pass in their images: "
                    + ", ".join(check_healthchecks(podman, document))
                )
            except ComposeTestError as error:
                raise ComposeTestError(f"{error}\n{logs(podman, [])}") from None
            finally:
                started = time.monotonic()
                try:
                    compose("down")
                except ComposeTestError as error:
                    print(f"FAIL: {error}", file=sys.stderr)
                    raise
                down = time.monotonic() - started
            left = podman("ps", "--all", "--quiet")
            if left:
                raise ComposeTestError(f"containers left after down: {left}")
            print(f"podman-compose down took {down:.1f} s; no container left")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compose", type=Path, required=True, help="the generated compose.yaml")
    parser.add_argument("--manifests", type=Path, nargs="+", required=True)
    parser.add_argument("--images", type=Path, nargs="+", required=True, help="image tarballs")
    args = parser.parse_args(argv)
    try:
        run(args.compose, args.manifests, args.images)
    except (ComposeTestError, PodmanError) as error:
        print(f"FAIL: {error}", file=sys.stderr)
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
