"""`pms-sync-agent --relay wss://{namespace}/{path}`: the agent as a relay listener, configured
from the environment."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from agent import cli
from agent.relay.listener import RelayListener
from tests.agent.helpers import root_logging_restored

BASE_ENVIRONMENT = {"PMS_AGENT_DATABASE_URL": "sqlite://", "PMS_AGENT_API_KEYS": "agent-key"}


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[Any, RelayListener]]]:
    """The (app, listener) the command would listen with, instead of listening (and no uvicorn)."""
    runs: list[tuple[Any, RelayListener]] = []
    monkeypatch.setattr(cli, "listen_on_relay", lambda app, listener: (app, listener))
    monkeypatch.setattr(cli.asyncio, "run", runs.append)
    monkeypatch.setattr(cli.uvicorn, "run", lambda *args, **kwargs: pytest.fail("uvicorn must not start with --relay"))
    for name in ("PMS_AGENT_MAPPING", cli.RELAY_KEY_NAME, cli.RELAY_KEY):
        monkeypatch.delenv(name, raising=False)
    for name, value in BASE_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    with root_logging_restored():  # the command adds its log handlers to the root logger
        yield runs


def test_relay_listens_on_the_control_channel_of_the_hybrid_connection(
    monkeypatch: pytest.MonkeyPatch, started: list[tuple[Any, RelayListener]]
) -> None:
    monkeypatch.setenv(cli.RELAY_KEY_NAME, "proxy-listen")
    monkeypatch.setenv(cli.RELAY_KEY, "listen-key")

    cli.main(["--relay", "wss://firm-relay.servicebus.windows.net/pms-agent"])

    ((app, listener),) = started
    app.state.engine.dispose()
    assert listener.endpoint.listen_url == "wss://firm-relay.servicebus.windows.net/$hc/pms-agent?sb-hc-action=listen"
    token, _ = listener.token()
    assert token.startswith("SharedAccessSignature sr=http%3A%2F%2Ffirm-relay.servicebus.windows.net%2Fpms-agent&")
    assert token.endswith("&skn=proxy-listen")


@pytest.mark.parametrize(
    ("arguments", "environment", "message"),
    [
        (["--relay", "wss://firm-relay.servicebus.windows.net/pms-agent"], {}, "--relay needs PMS_AGENT_RELAY_KEY_NAME and PMS_AGENT_RELAY_KEY"),
        (
            ["--relay", "https://firm-relay.servicebus.windows.net/pms-agent"],
            {"PMS_AGENT_RELAY_KEY_NAME": "l", "PMS_AGENT_RELAY_KEY": "k"},
            "is not a relay address",
        ),
        (["--relay", "wss://firm-relay.servicebus.windows.net/"], {"PMS_AGENT_RELAY_KEY_NAME": "l", "PMS_AGENT_RELAY_KEY": "k"}, "names no hybrid connection"),
    ],
)
def test_relay_refuses_to_start_without_its_configuration(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    started: list[tuple[Any, RelayListener]],
    arguments: list[str],
    environment: dict[str, str],
    message: str,
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(SystemExit):
        cli.main(arguments)

    assert message in capsys.readouterr().err and started == []


def test_relay_connection_state_is_in_the_metrics(
    monkeypatch: pytest.MonkeyPatch, started: list[tuple[Any, RelayListener]]
) -> None:
    monkeypatch.setenv(cli.RELAY_KEY_NAME, "proxy-listen")
    monkeypatch.setenv(cli.RELAY_KEY, "listen-key")

    cli.main(["--relay", "wss://firm-relay.servicebus.windows.net/pms-agent"])

    ((app, listener),) = started
    app.state.engine.dispose()
    assert "pms_sync_agent_relay_connected 0.0" in app.state.metrics.text().decode()
    listener.online.set()
    assert "pms_sync_agent_relay_connected 1.0" in app.state.metrics.text().decode()
