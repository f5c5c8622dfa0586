from __future__ import annotations

from typing import Any

import pytest

from agent import cli


@pytest.fixture
def uvicorn_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(
        cli.uvicorn, "run", lambda app, **options: calls.append({"app": app, **options})
    )
    return calls


def test_cli_runs_the_agent_on_port_4102_by_default(
    monkeypatch: pytest.MonkeyPatch, aderant_db_url: str, uvicorn_calls: list[dict[str, Any]]
) -> None:
    monkeypatch.setenv("PMS_AGENT_DATABASE_URL", aderant_db_url)
    monkeypatch.setenv("PMS_AGENT_API_KEYS", "key-1, key-2")
    monkeypatch.delenv("PMS_AGENT_MAPPING", raising=False)

    cli.main(["--host", "0.0.0.0"])

    (call,) = uvicorn_calls
    assert (call["host"], call["port"]) == ("0.0.0.0", 4102)
    assert call["app"].state.engine.url.database == aderant_db_url.removeprefix("sqlite:///")
    call["app"].state.engine.dispose()


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({"PMS_AGENT_API_KEYS": "key-1"}, "PMS_AGENT_DATABASE_URL is not set"),
        ({"PMS_AGENT_DATABASE_URL": "sqlite://"}, "PMS_AGENT_API_KEYS is not set"),
        ({"PMS_AGENT_DATABASE_URL": "sqlite://", "PMS_AGENT_API_KEYS": "k",
          "PMS_AGENT_MAPPING": "/no/such/mapping.json"}, "cannot read mapping file"),
    ],
)
def test_cli_refuses_to_start_without_configuration(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    uvicorn_calls: list[dict[str, Any]],
    environment: dict[str, str],
    message: str,
) -> None:
    for name in ("PMS_AGENT_DATABASE_URL", "PMS_AGENT_API_KEYS", "PMS_AGENT_MAPPING"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(SystemExit):
        cli.main([])

    assert message in capsys.readouterr().err
    assert uvicorn_calls == []
