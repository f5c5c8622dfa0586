"""The README's "Running it" and configuration table agree with the files and the code."""

from __future__ import annotations

import re
from pathlib import Path

from starlette.testclient import TestClient

from plugin.settings import Settings
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


def test_compose_runs_the_migrations_then_the_service_on_postgresql() -> None:
    compose = (ROOT / "compose.yaml").read_text()  # read as text: PyYAML is no dependency of ours
    assert 'command: ["pms-sync", "db", "upgrade"]' in compose
    assert re.search(r"depends_on:\n\s+migrate:\n\s+condition: service_completed_successfully", compose)
    assert "PMS_SYNC_DATABASE_URL: postgresql://" in compose and "image: postgres:" in compose
    assert "env_file: .env" in compose and ".env" in (ROOT / ".gitignore").read_text().split()
    example = (ROOT / ".env.example").read_text()
    assert all(f"{name}=" in example for name in ("PMS_SYNC_SECRET_KEYS", "POSTGRES_PASSWORD", "PMS_SYNC_METRICS_TOKEN"))
