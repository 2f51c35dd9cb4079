import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from generate import Config, ManifestError, read_services, render

SYNC = Path(__file__).parent.parent / "sync.py"
CONFIG = Config(
    project="shop",
    postgres_image="localhost/postgres:17",
    prometheus_image="localhost/prometheus:2.53",
    error_ratio="0.05",
    latency_p99_seconds="0.5",
    scrape_interval="15s",
    command="bazel run //deploy:update",
)


def manifest(name, port, framework="fastapi", database_env=None, env_prefix=None, user="65532"):
    return {
        "database_env": database_env,
        "env": {},
        "env_prefix": env_prefix or name.upper().replace("-", "_") + "_",
        "framework": framework,
        "health": {"live": "/health/live", "ready": "/health/ready"},
        "image": {
            "label": f"//x/{name}:image",
            "repo_tag": f"localhost/{name}:1.0.0",
            "user": user,
        },
        "metrics_path": "/metrics",
        "name": name,
        "port": port,
        "title": name.title(),
        "version": "1.0.0",
    }


def write(tmp_path, *manifests):
    paths = []
    for m in manifests:
        path = tmp_path / f"{m['name']}.manifest.json"
        path.write_text(json.dumps(m))
        paths.append(path)
    return paths


@pytest.fixture
def files(tmp_path):
    services = read_services(
        write(
            tmp_path,
            manifest("orders", 4101, database_env="ORDERS_DATABASE__URL"),
            manifest("web", 4100),
            manifest("orders-express", 4201, "express", "ORDERS_DATABASE__URL", "ORDERS_"),
        ),
        {"ports": {"web": 4100, "orders": 4101, "orders-express": 4201}},
    )
    return {name: yaml.safe_load(text) for name, text in render(services, CONFIG).items()}


def test_compose_runs_every_service_as_the_image_tests_do(files):
    compose = files["compose.yaml"]
    assert compose["name"] == "shop"
    assert list(compose["services"]) == [
        "postgres", "web", "orders", "orders-express", "blackbox", "prometheus",
    ]  # fmt: skip
    for service in compose["services"].values():
        assert service["pull_policy"] == "never"
        assert service["user"] == "65532:65532"
        assert service["read_only"] is True
        assert service["network_mode"] == "host"
        assert service["cap_drop"] == ["ALL"]
        assert service["security_opt"] == ["no-new-privileges"]
        assert service["tmpfs"] == ["/tmp:rw,mode=1777"]
        assert service["healthcheck"]["test"][0] == "CMD"


def test_services_run_in_production_with_a_key_set_and_their_database(files):
    services = files["compose.yaml"]["services"]
    orders = services["orders"]
    assert orders["image"] == "localhost/orders:1.0.0"
    assert orders["environment"] == {
        "ORDERS_ENVIRONMENT": "production",
        "ORDERS_AUTH__JWKS_FILE": "/run/secrets/jwks",
        "ORDERS_AUTH__ISSUER": "${AUTH_ISSUER:?set AUTH_ISSUER, the iss of the identity "
        "provider's tokens}",
        "ORDERS_DATABASE__URL": "postgresql://app:${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD, "
        "the password of the services' database role}@127.0.0.1:5432/orders",
    }
    assert orders["secrets"] == ["jwks"]
    assert orders["depends_on"] == ["postgres"]
    # The twin reads its FastAPI twin's variables, and has a database of its own.
    assert services["orders-express"]["environment"]["ORDERS_DATABASE__URL"].endswith(
        "/orders_express"
    )
    assert "depends_on" not in services["web"]
    assert services["postgres"]["environment"]["POSTGRES_DATABASES"] == "orders orders_express"
    assert files["compose.yaml"]["secrets"]["jwks"]["file"].startswith("${JWKS_FILE:?")


def test_health_checks_ask_the_readiness_path_without_a_shell(files):
    services = files["compose.yaml"]["services"]
    python = services["web"]["healthcheck"]["test"]
    assert python[:3] == ["CMD", "/usr/bin/python3", "-c"]
    assert "'http://127.0.0.1:4100/health/ready'" in python[3]
    node = services["orders-express"]["healthcheck"]["test"]
    assert node[:3] == ["CMD", "/usr/bin/node", "-e"]
    assert node[3].startswith('fetch("http://127.0.0.1:4201/health/ready"')
    assert services["postgres"]["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]


def test_health_check_programs_run(files, tmp_path):
    """The Python check, run here against nothing listening, fails as it must."""
    code = files["compose.yaml"]["services"]["web"]["healthcheck"]["test"][3]
    result = subprocess.run([sys.executable, "-c", code.replace("4100", "1")], capture_output=True)
    assert result.returncode == 1


def test_prometheus_scrapes_each_service_and_probes_its_readiness(files):
    config = files["prometheus.yml"]
    assert config["rule_files"] == ["prometheus.rules.yml"]
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert list(jobs) == ["web", "orders", "orders-express", "readiness"]
    assert jobs["orders"]["static_configs"] == [
        {"targets": ["127.0.0.1:4101"], "labels": {"service": "orders", "framework": "fastapi"}}
    ]
    probes = jobs["readiness"]["static_configs"]
    assert [p["targets"] for p in probes] == [
        ["http://127.0.0.1:4100/health/ready"],
        ["http://127.0.0.1:4101/health/ready"],
        ["http://127.0.0.1:4201/health/ready"],
    ]
    assert jobs["readiness"]["relabel_configs"][-1]["replacement"] == "127.0.0.1:9115"
    assert files["blackbox.yml"]["modules"]["http_ready"]["http"]["valid_status_codes"] == [200]


def test_rules_use_the_thresholds(files):
    alerts = {
        rule["alert"]: rule
        for group in files["prometheus.rules.yml"]["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }
    assert alerts["ServiceErrorRatioHigh"]["expr"].endswith("> 0.05")
    assert alerts["ServiceLatencyP99High"]["expr"].endswith("> 0.5")
    assert set(alerts) == {
        "ServiceErrorRatioHigh", "ServiceLatencyP99High", "ServiceNotReady", "ScrapeTargetDown",
    }  # fmt: skip


def test_without_a_database_there_is_no_postgres(tmp_path):
    services = read_services(write(tmp_path, manifest("web", 4100)), None)
    compose = yaml.safe_load(render(services, CONFIG)["compose.yaml"])
    assert "postgres" not in compose["services"]
    assert list(compose["volumes"]) == ["prometheus-data"]


def test_files_say_how_they_are_made(files, tmp_path):
    services = read_services(write(tmp_path, manifest("web", 4100)), None)
    for text in render(services, CONFIG).values():
        assert "by `bazel run //deploy:update`" in text.splitlines()[1]


def test_the_registry_and_the_manifests_agree(tmp_path):
    paths = write(tmp_path, manifest("web", 4100))
    with pytest.raises(ManifestError, match="the port registry has orders, whose manifest"):
        read_services(paths, {"ports": {"web": 4100, "orders": 4101}})
    with pytest.raises(ManifestError, match="web: port 4100 in its manifest, 4105 in the port"):
        read_services(paths, {"ports": {"web": 4105}})
    with pytest.raises(ManifestError, match="runs as 0; the deployment runs every container"):
        read_services(write(tmp_path, manifest("web", 4100, user="0")), None)
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    with pytest.raises(ManifestError, match="not a service manifest"):
        read_services([bad], None)


def test_sync_writes_and_checks(tmp_path):
    generated = tmp_path / "generated.yaml"
    generated.write_text("new\n")
    committed = tmp_path / "deploy" / "compose.yaml"
    committed.parent.mkdir()
    committed.write_text("old\n")
    pair = f"{generated}=deploy/compose.yaml"
    check = [sys.executable, str(SYNC), "--command", "bazel run //deploy:update", "--check"]
    stale = subprocess.run([*check, pair], cwd=tmp_path, capture_output=True, text=True)
    assert stale.returncode == 1
    assert "stale: deploy/compose.yaml; run bazel run //deploy:update" in stale.stdout
    env = {"BUILD_WORKSPACE_DIRECTORY": str(tmp_path)}
    subprocess.run([sys.executable, str(SYNC), "--command", "x", pair], env=env, check=True)
    assert committed.read_text() == "new\n"
    assert subprocess.run([*check, pair], cwd=tmp_path).returncode == 0
