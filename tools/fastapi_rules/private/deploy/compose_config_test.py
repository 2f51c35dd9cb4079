"""compose_deployment's ``:compose_config_test``: podman-compose reads the generated compose
file (``config``: parse, interpolate, normalize) and what it makes of it is what the
manifests say; without the variables the file requires, it refuses naming them."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

USER = "65532:65532"
REQUIRED = ("POSTGRES_PASSWORD", "AUTH_ISSUER", "JWKS_FILE")


class ConfigTestError(Exception):
    pass


def podman_compose(compose: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    if not shutil.which("podman-compose"):
        raise ConfigTestError("podman-compose is not installed; run tests through tools/bazel")
    return subprocess.run(
        ["podman-compose", "-f", str(compose), "config"],
        capture_output=True,
        text=True,
        env={**os.environ, **env, "PODMAN_IGNORE_CGROUPSV1_WARNING": "1"},
        check=False,
    )


def check_service(
    name: str, service: dict[str, Any], manifest: dict[str, Any], env: dict[str, str]
) -> None:
    problems = []
    expected = {
        "image": manifest["image"]["repo_tag"],
        "network_mode": "host",
        "user": USER,
        "read_only": True,
    }
    for key, value in expected.items():
        if service.get(key) != value:
            problems.append(f"{key} is {service.get(key)!r}, not {value!r}")
    test = service.get("healthcheck", {}).get("test", [])
    ready_url = f"http://127.0.0.1:{manifest['port']}{manifest['health']['ready']}"
    if test[:1] != ["CMD"] or not any(ready_url in part for part in test):
        problems.append(f"its health check {test} does not ask {ready_url}")
    environment = service.get("environment", {})
    prefix = manifest["env_prefix"]
    if environment.get(f"{prefix}ENVIRONMENT") != "production":
        problems.append(f"{prefix}ENVIRONMENT is not production")
    if environment.get(f"{prefix}AUTH__ISSUER") != env["AUTH_ISSUER"]:
        problems.append(f"{prefix}AUTH__ISSUER is not AUTH_ISSUER's value")
    if manifest.get("database_env"):
        url = environment.get(manifest["database_env"], "")
        if f":{env['POSTGRES_PASSWORD']}@127.0.0.1:5432/" not in url:
            problems.append(f"{manifest['database_env']} is {url!r}")
    if problems:
        raise ConfigTestError(f"{name}: " + "; ".join(problems))


def run(compose_file: Path, manifest_files: list[Path]) -> None:
    manifests = {m["name"]: m for m in (json.loads(p.read_text()) for p in manifest_files)}
    work = Path(tempfile.mkdtemp(prefix="compose-config-"))
    try:
        for generated in compose_file.parent.iterdir():
            shutil.copyfile(generated, work / generated.name)
        (work / "jwks.json").write_text('{"keys": []}')
        env = {
            "POSTGRES_PASSWORD": "pw0123",
            "AUTH_ISSUER": "https://issuer.example",
            "JWKS_FILE": "jwks.json",
        }
        result = podman_compose(work / compose_file.name, env)
        if result.returncode != 0:
            raise ConfigTestError(
                f"podman-compose config exited {result.returncode}:\n{result.stderr}"
            )
        config = yaml.safe_load(result.stdout)
        services = config["services"]
        infrastructure = {"blackbox", "prometheus"} | (
            {"postgres"} if any(m.get("database_env") for m in manifests.values()) else set()
        )
        if set(services) != set(manifests) | infrastructure:
            raise ConfigTestError(
                f"services {sorted(services)}, expected {sorted(set(manifests) | infrastructure)}"
            )
        for name, manifest in manifests.items():
            check_service(name, services[name], manifest, env)
        for name, service in services.items():
            if service.get("user") != USER or not service.get("read_only"):
                raise ConfigTestError(f"{name} does not run as {USER} on a read-only root")
        secret = config["secrets"]["jwks"]["file"]
        if secret != env["JWKS_FILE"]:
            raise ConfigTestError(f"the jwks secret is {secret!r}, not JWKS_FILE's value")
        print(f"podman-compose config: {len(services)} services: {', '.join(services)}")

        for missing in REQUIRED:
            result = podman_compose(
                work / compose_file.name, {k: v for k, v in env.items() if k != missing}
            )
            output = result.stdout + result.stderr
            if result.returncode == 0 or f"set {missing}" not in output:
                raise ConfigTestError(
                    f"without {missing}, podman-compose config exited {result.returncode} "
                    f"with:\n{output[-2000:]}"
                )
            print(f"without {missing}: refused, naming it")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compose", type=Path, required=True)
    parser.add_argument("--manifests", type=Path, nargs="+", required=True)
    args = parser.parse_args(argv)
    try:
        run(args.compose, args.manifests)
    except ConfigTestError as error:
        print(f"FAIL: {error}", file=sys.stderr)
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
