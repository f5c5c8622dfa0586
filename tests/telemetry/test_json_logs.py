"""PMS_SYNC_LOG_FORMAT=json: one JSON object per line, credentials still redacted."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from views.cli import main

ROOT = Path(__file__).resolve().parents[2]
SIG = "teams-signature-that-must-not-be-logged"
CODE = "oidc-code-that-must-not-be-logged"

PROCESS = textwrap.dedent(
    f"""
    import logging
    from clients.tracing import enter_trace, trace_from
    from views.logs import configure_logging
    from views.server import server_config

    configure_logging("INFO", "json")
    config = server_config(object(), host="127.0.0.1", port=1)
    logging.getLogger("pms_sync.check").info("uvicorn log_config: %s", config.log_config)
    logging.getLogger("httpx2").info(
        'HTTP Request: %s %s "%s %d %s"', "POST",
        "https://prod-01.westeurope.logic.azure.com/workflows/1?api-version=1&sig={SIG}", "HTTP/1.1", 202, "Accepted",
    )
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", "/sign-in/entra/callback?code={CODE}&state=x", "1.1", 302
    )
    enter_trace(trace_from("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))
    try:
        raise ValueError("calling https://user:pa55word@agent.example.test/v1?key={SIG}")
    except ValueError:
        logging.getLogger("pms_sync.check").exception("it failed")
    """
)


@pytest.fixture(scope="module")
def logged() -> list[dict]:
    done = subprocess.run(
        [sys.executable, "-c", PROCESS], capture_output=True, text=True, timeout=60, check=True, cwd=ROOT
    )
    assert SIG not in done.stderr and CODE not in done.stderr and "pa55word" not in done.stderr
    return [json.loads(line) for line in done.stderr.splitlines()]


def test_each_line_is_one_json_object(logged: list[dict]) -> None:
    assert len(logged) == 4
    for line in logged:
        assert {"time", "level", "logger", "message", "request_id"} <= set(line)
        assert line["time"].endswith("+00:00")
    assert logged[0]["message"] == "uvicorn log_config: None", "uvicorn leaves its lines to the JSON handler"


def test_credentials_in_urls_stay_redacted(logged: list[dict]) -> None:
    teams, access = logged[1], logged[2]
    assert teams["logger"] == "httpx2" and "sig=***" in teams["message"] and "api-version=***" in teams["message"]
    assert access["logger"] == "uvicorn.access" and "/sign-in/entra/callback?code=***&state=***" in access["message"]
    assert teams["request_id"] is None, "outside any request"


def test_an_exception_is_one_field_of_its_line_with_its_request_id(logged: list[dict]) -> None:
    failed = logged[3]
    assert failed["level"] == "ERROR" and failed["message"] == "it failed"
    assert failed["request_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert failed["exception"].startswith("Traceback") and "ValueError" in failed["exception"]
    assert "https://***@agent.example.test/v1?key=***" in failed["exception"]


def test_an_unknown_log_format_stops_the_command(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PMS_SYNC_LOG_FORMAT", "xml")
    assert main(["manifest", "--service-url", "https://pms-sync.example.test"]) == 2
    assert "PMS_SYNC_LOG_FORMAT must be one of text, json" in capsys.readouterr().err
