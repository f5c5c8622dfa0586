"""The agent's log: stderr plus a rotating file in the configured directory, never a secret."""

from __future__ import annotations

import io
import logging
from logging.handlers import RotatingFileHandler
from pathlib import Path, PureWindowsPath
from typing import Any

import httpx2
import pytest

from agent import cli
from agent.logs import LOG_FILE, configure_logging, log_dir_from_environment

API_KEY = "agent-key-7f3e9c2a"
PASSWORD = "S3cret/pw@rd"  # "/" and "@" are quoted in the URL: both spellings are masked
DATABASE_URL = "postgresql+psycopg://pms_sync_ro:S3cret%2Fpw%40rd@127.0.0.1:1/aderant"  # nothing listens on port 1
METRICS_TOKEN = "metrics-token-51d0"


def test_log_directory_defaults_under_program_data_on_windows_only() -> None:
    windows = log_dir_from_environment({"ProgramData": r"D:\ProgramData"}, windows=True)
    assert PureWindowsPath(str(windows)) == PureWindowsPath(r"D:\ProgramData\PMS Sync Agent\logs")
    assert log_dir_from_environment({}, windows=False) is None
    assert log_dir_from_environment({"PMS_AGENT_LOG_DIR": "/var/log/pms"}, windows=True) == Path("/var/log/pms")


def test_lines_go_to_stderr_and_a_rotating_file_with_secrets_masked(tmp_path: Path) -> None:
    stream = io.StringIO()
    path = configure_logging(tmp_path / "logs", [API_KEY, PASSWORD, ""], stream=stream)
    log = logging.getLogger("agent.test")

    log.warning("caller sent %s", API_KEY)
    try:
        raise ConnectionError(f"login failed for pms_sync_ro with {PASSWORD}")
    except ConnectionError:
        log.exception("database did not answer")

    assert path == tmp_path / "logs" / LOG_FILE
    (handler,) = [h for h in logging.getLogger().handlers if isinstance(h, RotatingFileHandler)]
    assert (handler.maxBytes, handler.backupCount) == (10 * 1024 * 1024, 10)
    for text in (stream.getvalue(), path.read_text(encoding="utf-8")):
        assert "caller sent ***" in text and "login failed for pms_sync_ro with ***" in text
        assert API_KEY not in text and PASSWORD not in text


async def test_the_running_agent_never_logs_its_keys_or_database_password(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    apps: list[Any] = []
    monkeypatch.setattr(cli.uvicorn, "run", lambda app, **options: apps.append((app, options)))
    monkeypatch.setenv("PMS_AGENT_DATABASE_URL", DATABASE_URL)
    monkeypatch.setenv("PMS_AGENT_API_KEYS", f" {API_KEY} ,other-key-55")
    monkeypatch.setenv("PMS_AGENT_METRICS_TOKEN", METRICS_TOKEN)
    monkeypatch.setenv("PMS_AGENT_LOG_DIR", str(tmp_path))
    monkeypatch.delenv("PMS_AGENT_MAPPING", raising=False)

    cli.main([])

    ((app, options),) = apps
    assert options["log_config"] is None  # uvicorn's own lines reach the same handlers
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://agent") as http:
        refused = await http.get(f"/v1/matters/{API_KEY}")  # a key pasted into a URL
        down = await http.get("/v1/health", headers={"Authorization": f"Bearer {API_KEY}"})
    logging.getLogger("agent.test").info("connecting with %s and %s", DATABASE_URL, PASSWORD)
    app.state.engine.dispose()
    text = (tmp_path / LOG_FILE).read_text(encoding="utf-8")

    assert (refused.status_code, down.status_code) == (401, 503)
    assert "refused GET /v1/matters/***" in text and "health check: database did not answer" in text
    assert "connecting with" in text
    for secret in (API_KEY, "other-key-55", PASSWORD, "S3cret%2Fpw%40rd", METRICS_TOKEN):
        assert secret not in text
