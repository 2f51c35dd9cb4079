"""Writes the deployment files of compose_deployment from the service manifests and the
port registry: a compose file (every service, PostgreSQL, Prometheus and its blackbox
exporter), Prometheus' configuration (a scrape job per service's metrics path, a readiness
probe per service), its recording and alert rules, and the blackbox exporter's modules.

Every container runs as the images' tests run them: uid 65532, read-only root file
system with a tmpfs /tmp, no capabilities, no privilege escalation, on the host network
(the ports are the registry's). Services run in production: bearer tokens are verified
with the key set mounted as the secret ``jwks`` and the issuer ``AUTH_ISSUER``; services
with a database variable get a database of their own on the PostgreSQL, owned by the role
``app`` whose password is ``POSTGRES_PASSWORD``. Those three values come from the
environment of ``compose up`` (or an ``.env`` file beside the compose file).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

COMPOSE = "compose.yaml"
PROMETHEUS = "prometheus.yml"
RULES = "prometheus.rules.yml"
BLACKBOX = "blackbox.yml"
FILES = (COMPOSE, PROMETHEUS, RULES, BLACKBOX)

POSTGRES_PORT = 5432
PROMETHEUS_ADDRESS = "127.0.0.1:9090"
BLACKBOX_ADDRESS = "127.0.0.1:9115"
DATABASE_ROLE = "app"
JWKS_SECRET = "jwks"
USER = "65532:65532"
READINESS_JOB = "readiness"
READINESS_MODULE = "http_ready"

# What the compose file needs from the environment of `compose up`, and why.
REQUIRED = {
    "POSTGRES_PASSWORD": "set POSTGRES_PASSWORD, the password of the services' database role",
    "AUTH_ISSUER": "set AUTH_ISSUER, the iss of the identity provider's tokens",
    "JWKS_FILE": "set JWKS_FILE, the file of the identity provider's JSON Web Key Set",
}

# How every container runs: as the image tests run images.
HARDENED = {
    # The images are the ones `:load` put into the engine: nothing to pull.
    "pull_policy": "never",
    "network_mode": "host",
    "user": USER,
    "read_only": True,
    "tmpfs": ["/tmp:rw,mode=1777"],
    "cap_drop": ["ALL"],
    "security_opt": ["no-new-privileges"],
    "restart": "unless-stopped",
}

HEALTHCHECK_TIMING = {"interval": "10s", "timeout": "5s", "retries": 3, "start_period": "60s"}


class ManifestError(Exception):
    pass


@dataclass(frozen=True)
class Service:
    name: str
    framework: str
    port: int
    ready_path: str
    metrics_path: str
    repo_tag: str
    env_prefix: str
    database_env: str | None
    user: str

    @classmethod
    def from_manifest(cls, manifest: dict[str, Any], source: str) -> Service:
        try:
            return cls(
                name=manifest["name"],
                framework=manifest["framework"],
                port=int(manifest["port"]),
                ready_path=manifest["health"]["ready"],
                metrics_path=manifest["metrics_path"],
                repo_tag=manifest["image"]["repo_tag"],
                env_prefix=manifest["env_prefix"],
                database_env=manifest.get("database_env") or None,
                user=manifest["image"]["user"],
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ManifestError(
                f"{source}: not a service manifest ({error!r} missing or wrong)"
            ) from None

    @property
    def database(self) -> str:
        return self.name.replace("-", "_")

    @property
    def ready_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.ready_path}"


@dataclass(frozen=True)
class Config:
    project: str
    postgres_image: str
    prometheus_image: str
    error_ratio: str
    latency_p99_seconds: str
    scrape_interval: str
    command: str

    @classmethod
    def from_json(cls, text: str) -> Config:
        return cls(**json.loads(text))


def read_services(manifests: Iterable[Path], registry: dict[str, Any] | None) -> list[Service]:
    """The services by port, checked against the port registry when given: each service
    of the registry has a manifest and each manifest's port is the registry's."""
    services = [
        Service.from_manifest(json.loads(path.read_text()), str(path)) for path in manifests
    ]
    names = [service.name for service in services]
    if len(set(names)) != len(names):
        raise ManifestError(f"two manifests name the same service: {sorted(names)}")
    if registry is not None:
        ports = registry["ports"]
        missing = sorted(set(ports) - set(names))
        if missing:
            raise ManifestError(
                f"the port registry has {', '.join(missing)}, whose manifest is not among the "
                "deployment's services; add its :manifest to them"
            )
        for service in services:
            if ports.get(service.name) != service.port:
                raise ManifestError(
                    f"{service.name}: port {service.port} in its manifest, "
                    f"{ports.get(service.name)} in the port registry"
                )
    for service in services:
        if service.user.partition(":")[0] != USER.partition(":")[0]:
            raise ManifestError(
                f"{service.name}: its image runs as {service.user}; the deployment runs every "
                f"container as {USER}, as the image tests do"
            )
    return sorted(services, key=lambda service: service.port)


def required(name: str) -> str:
    return "${" + name + ":?" + REQUIRED[name] + "}"


def database_url(service: Service) -> str:
    return (
        f"postgresql://{DATABASE_ROLE}:{required('POSTGRES_PASSWORD')}@127.0.0.1:{POSTGRES_PORT}"
        f"/{service.database}"
    )


def healthcheck_test(service: Service) -> list[str]:
    """The readiness check run inside the service's image, which has no shell: its own
    interpreter asks the readiness path."""
    url = service.ready_url
    if service.framework == "fastapi":
        code = f"import urllib.request; urllib.request.urlopen({url!r}, timeout=4)"
        return ["CMD", "/usr/bin/python3", "-c", code]
    code = (
        f"fetch({json.dumps(url)}, {{signal: AbortSignal.timeout(4000)}})"
        ".then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
    )
    return ["CMD", "/usr/bin/node", "-e", code]


def service_entry(service: Service) -> dict[str, Any]:
    prefix = service.env_prefix
    environment = {
        f"{prefix}ENVIRONMENT": "production",
        f"{prefix}AUTH__JWKS_FILE": f"/run/secrets/{JWKS_SECRET}",
        f"{prefix}AUTH__ISSUER": required("AUTH_ISSUER"),
    }
    entry: dict[str, Any] = {"image": service.repo_tag, **HARDENED, "environment": environment}
    entry["secrets"] = [JWKS_SECRET]
    if service.database_env:
        environment[service.database_env] = database_url(service)
        entry["depends_on"] = ["postgres"]
    entry["healthcheck"] = {"test": healthcheck_test(service), **HEALTHCHECK_TIMING}
    # The drain after SIGTERM (DRAIN_SECONDS, 5 s) and the shutdown that follows.
    entry["stop_grace_period"] = "15s"
    entry["labels"] = {
        "com.fastapi-rules.service": service.name,
        "com.fastapi-rules.framework": service.framework,
        "com.fastapi-rules.port": str(service.port),
    }
    return entry


def compose(services: list[Service], config: Config) -> dict[str, Any]:
    databases = [service.database for service in services if service.database_env]
    entries: dict[str, Any] = {}
    if databases:
        entries["postgres"] = {
            "image": config.postgres_image,
            **HARDENED,
            "environment": {
                "POSTGRES_USER": DATABASE_ROLE,
                "POSTGRES_PASSWORD": required("POSTGRES_PASSWORD"),
                "POSTGRES_DATABASES": " ".join(databases),
                "PGPORT": str(POSTGRES_PORT),
            },
            "volumes": ["postgres-data:/var/lib/postgresql"],
            "healthcheck": {
                "test": ["CMD", "pg_isready", "--host", "127.0.0.1", "--port", str(POSTGRES_PORT)],
                **HEALTHCHECK_TIMING,
            },
            # Fast shutdown: SIGTERM would wait for every service to disconnect.
            "stop_signal": "SIGINT",
        }
    for service in services:
        entries[service.name] = service_entry(service)
    entries["blackbox"] = {
        "image": config.prometheus_image,
        **HARDENED,
        "entrypoint": ["/usr/bin/prometheus-blackbox-exporter"],
        "command": [
            f"--config.file=/etc/prometheus/{BLACKBOX}",
            f"--web.listen-address={BLACKBOX_ADDRESS}",
        ],
        "volumes": [f"./{BLACKBOX}:/etc/prometheus/{BLACKBOX}:ro"],
        "healthcheck": {
            "test": [
                "CMD",
                "/usr/bin/promtool",
                "check",
                "healthy",
                f"--url=http://{BLACKBOX_ADDRESS}",
            ],
            **HEALTHCHECK_TIMING,
        },
    }
    entries["prometheus"] = {
        "image": config.prometheus_image,
        **HARDENED,
        "command": [
            f"--config.file=/etc/prometheus/{PROMETHEUS}",
            "--storage.tsdb.path=/var/lib/prometheus",
            f"--web.listen-address={PROMETHEUS_ADDRESS}",
        ],
        "volumes": [
            f"./{PROMETHEUS}:/etc/prometheus/{PROMETHEUS}:ro",
            f"./{RULES}:/etc/prometheus/{RULES}:ro",
            "prometheus-data:/var/lib/prometheus",
        ],
        "depends_on": ["blackbox"],
        "healthcheck": {
            "test": [
                "CMD",
                "/usr/bin/promtool",
                "check",
                "healthy",
                f"--url=http://{PROMETHEUS_ADDRESS}",
            ],
            **HEALTHCHECK_TIMING,
        },
    }
    volumes = {"prometheus-data": {}}
    if databases:
        volumes = {"postgres-data": {}, **volumes}
    return {
        "name": config.project,
        # podman-compose: no pod around the containers (they share the host's network).
        "x-podman": {"in_pod": False},
        "services": entries,
        "volumes": volumes,
        "secrets": {JWKS_SECRET: {"file": required("JWKS_FILE")}},
    }  # fmt: skip


def prometheus(services: list[Service], config: Config) -> dict[str, Any]:
    jobs: list[dict[str, Any]] = [
        {
            "job_name": service.name,
            "metrics_path": service.metrics_path,
            "static_configs": [
                {
                    "targets": [f"127.0.0.1:{service.port}"],
                    "labels": {"service": service.name, "framework": service.framework},
                }
            ],
        }
        for service in services
    ]
    jobs.append(
        {
            "job_name": READINESS_JOB,
            "metrics_path": "/probe",
            "params": {"module": [READINESS_MODULE]},
            "static_configs": [
                {
                    "targets": [service.ready_url],
                    "labels": {"service": service.name, "framework": service.framework},
                }
                for service in services
            ],
            # The blackbox exporter probes the target it is given as ?target=.
            "relabel_configs": [
                {"source_labels": ["__address__"], "target_label": "__param_target"},
                {"source_labels": ["__param_target"], "target_label": "instance"},
                {"target_label": "__address__", "replacement": BLACKBOX_ADDRESS},
            ],
        }
    )
    return {
        "global": {
            "scrape_interval": config.scrape_interval,
            "evaluation_interval": config.scrape_interval,
        },
        "rule_files": [RULES],
        "scrape_configs": jobs,
    }


ERRORS = 'http_requests_total{status_code=~"5.."}'


def rules(config: Config) -> dict[str, Any]:
    """Recording and alert rules over the standard metrics (docs/logging.md), by the
    ``service`` label every scrape job gives its targets."""
    requests = "sum by (service) (rate(http_requests_total[5m]))"
    return {
        "groups": [
            {
                "name": "service-requests",
                "rules": [
                    {"record": "service:http_requests:rate5m", "expr": requests},
                    {
                        "record": "service:http_request_errors:rate5m",
                        "expr": f"sum by (service) (rate({ERRORS}[5m]))",
                    },
                    {
                        # 0, not nothing, for a service that served requests and no 5xx.
                        "record": "service:http_request_error_ratio:rate5m",
                        "expr": f"(sum by (service) (rate({ERRORS}[5m])) or {requests} * 0)"
                        f" / {requests}",
                    },
                    {
                        "record": "service:http_request_duration_seconds:p99_rate5m",
                        "expr": "histogram_quantile(0.99, sum by (service, le) "
                        "(rate(http_request_duration_seconds_bucket[5m])))",
                    },
                    {
                        "record": "service:readiness:avg5m",
                        "expr": "avg by (service) "
                        f'(avg_over_time(probe_success{{job="{READINESS_JOB}"}}[5m]))',
                    },
                ],
            },
            {
                "name": "service-alerts",
                "rules": [
                    {
                        "alert": "ServiceErrorRatioHigh",
                        "expr": f"service:http_request_error_ratio:rate5m > {config.error_ratio}",
                        "for": "5m",
                        "labels": {"severity": "critical"},
                        "annotations": {
                            "summary": "{{ $labels.service }}: {{ $value | humanizePercentage }}"
                            " of requests failed with a 5xx over 5 minutes",
                        },
                    },
                    {
                        "alert": "ServiceLatencyP99High",
                        "expr": "service:http_request_duration_seconds:p99_rate5m"
                        f" > {config.latency_p99_seconds}",
                        "for": "10m",
                        "labels": {"severity": "warning"},
                        "annotations": {
                            "summary": "{{ $labels.service }}: 99th percentile latency "
                            "{{ $value | humanizeDuration }} over 5 minutes",
                        },
                    },
                    {
                        "alert": "ServiceNotReady",
                        "expr": f'probe_success{{job="{READINESS_JOB}"}} == 0',
                        "for": "1m",
                        "labels": {"severity": "critical"},
                        "annotations": {
                            "summary": "{{ $labels.service }}: {{ $labels.instance }} has not "
                            "answered 200 for a minute",
                        },
                    },
                    {
                        "alert": "ScrapeTargetDown",
                        "expr": "up == 0",
                        "for": "1m",
                        "labels": {"severity": "critical"},
                        "annotations": {
                            "summary": "{{ $labels.job }}: {{ $labels.instance }} has not "
                            "answered Prometheus for a minute",
                        },
                    },
                ],
            },
        ]
    }


def blackbox() -> dict[str, Any]:
    return {
        "modules": {
            READINESS_MODULE: {
                "prober": "http",
                "timeout": "5s",
                "http": {
                    "method": "GET",
                    "valid_status_codes": [200],
                    "preferred_ip_protocol": "ip4",
                    "follow_redirects": False,
                },
            }
        }
    }


class _Dumper(yaml.SafeDumper):
    """Block style, and every value written out where it is used: no anchors and aliases
    for the settings every container shares, no folded long lines."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump(document: dict[str, Any], config: Config, what: str) -> str:
    header = (
        f"# {what}\n"
        f"# Generated from the service manifests and the port registry by `{config.command}`:\n"
        "# do not edit; a test fails while this copy differs from what the command writes.\n"
    )
    body = yaml.dump(
        document, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=1 << 16
    )
    return header + body


def render(services: list[Service], config: Config) -> dict[str, str]:
    """The deployment files' contents by file name."""
    return {
        COMPOSE: dump(
            compose(services, config),
            config,
            "Every service, with PostgreSQL and Prometheus, run as the image tests run them.",
        ),
        PROMETHEUS: dump(
            prometheus(services, config),
            config,
            "Prometheus: each service's metrics, and its readiness through the blackbox exporter.",
        ),
        RULES: dump(
            rules(config), config, "Recording and alert rules over the services' standard metrics."
        ),
        BLACKBOX: dump(blackbox(), config, "The blackbox exporter's probe of readiness paths."),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, required=True, help="the rule's settings (JSON)")
    parser.add_argument("--manifest", type=Path, action="append", default=[])
    parser.add_argument("--registry", type=Path, help="the port registry as JSON")
    parser.add_argument("--output", type=Path, required=True, help="directory to write into")
    args = parser.parse_args(argv)
    config = Config.from_json(args.config.read_text())
    registry = json.loads(args.registry.read_text()) if args.registry else None
    try:
        services = read_services(args.manifest, registry)
    except ManifestError as error:
        print(f"compose_deployment: {error}", file=sys.stderr)
        return 1
    args.output.mkdir(parents=True, exist_ok=True)
    for name, text in render(services, config).items():
        (args.output / name).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
