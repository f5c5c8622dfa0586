"""The README's "Running it" and configuration table agree with the files and the code."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from starlette.testclient import TestClient

from plugin.settings import Settings
from store.secrets import SecretBox
from views.app import create_app

ROOT = Path(__file__).resolve().parents[2]


def test_every_setting_the_service_reads_is_in_the_readme() -> None:
    read = set(re.findall(r'get\("([A-Z_]+)"', (ROOT / "plugin" / "settings.py").read_text()))
    assert {"LOG_FORMAT", "METRICS_TOKEN"} <= read
    readme = (ROOT / "README.md").read_text()
    assert not [name for name in sorted(read) if f"`PMS_SYNC_{name}`" not in readme]


def test_the_image_serves_as_a_non_root_user_with_a_health_check_on_a_real_route(database_url: str) -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.startswith("#") and "\nFROM python:3.11-slim\n" in dockerfile
    user = re.search(r"^USER (\S+)$", dockerfile, re.M)
    assert user and user.group(1) not in ("root", "0")
    assert re.search(r'^CMD \["pms-sync", "serve", "--host", "0.0.0.0", "--port", "8000"\]$', dockerfile, re.M)
    checked = re.search(r"HEALTHCHECK .*http://127\.0\.0\.1:8000(/\w+)'", dockerfile, re.S)
    assert checked is not None
    assert TestClient(create_app(Settings(database_url=database_url))).get(checked.group(1)).status_code == 200


def test_compose_runs_the_migrations_then_two_replicas_behind_a_proxy_on_postgresql(database_url: str) -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert services["migrate"]["command"] == ["pms-sync", "db", "upgrade"]
    assert services["migrate"]["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert services["db"]["image"].startswith("postgres:")
    replicas = [name for name, service in services.items() if service.get("image") == "pms-sync:latest" and name != "migrate"]
    assert replicas == ["pms-sync-1", "pms-sync-2"]
    for name in replicas:
        replica = services[name]
        assert replica["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
        assert replica["environment"]["PMS_SYNC_DATABASE_URL"].startswith("postgresql://")
        assert replica["env_file"] == ".env" and "ports" not in replica, "only the proxy is published"
    proxy = services["proxy"]
    assert set(proxy["depends_on"]) == set(replicas) and proxy["ports"] == ["${PMS_SYNC_PORT:-8000}:8000"]
    caddyfile = compose["configs"][proxy["configs"][0]["source"]]["content"]
    assert re.search(r"reverse_proxy pms-sync-1:8000 pms-sync-2:8000 \{", caddyfile)
    health = re.search(r"health_uri (\S+)", caddyfile)
    assert health is not None
    with TestClient(create_app(Settings(database_url=database_url, secret_keys=SecretBox.generate_key()))) as replica_app:  # started, as behind the proxy
        assert replica_app.get(health.group(1)).status_code == 200
    assert ".env" in (ROOT / ".gitignore").read_text().split()
    example = (ROOT / ".env.example").read_text()
    assert all(f"{name}=" in example for name in ("PMS_SYNC_SECRET_KEYS", "POSTGRES_PASSWORD", "PMS_SYNC_METRICS_TOKEN"))
