"""Test connection against the in-process sandbox, with each hop broken in turn."""

from __future__ import annotations

import html
import re
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.connections.conftest import LIST, PRODUCTION, csrf, submit
from tests.views.conftest import Service

EDIT = f"{LIST}/{PRODUCTION}"
LABELS = [
    "Aderant agent reached",
    "Aderant database answering",
    "Clio Operate token obtained",
    "Clio Operate API answering",
]
HOP = re.compile(
    r'<li class="hop (?P<outcome>\w+)">\s*<div>\s*<strong>(?P<label>.*?)</strong>(?P<meta>.*?)'
    r"<div>(?P<message>.*?)</div>\s*(?:<div><strong>Likely fix:</strong> (?P<fix>.*?)</div>)?\s*</div>\s*</li>",
    re.S,
)


@dataclass(frozen=True)
class Hop:
    outcome: str
    label: str
    latency_ms: int | None
    message: str
    fix: str


def press_test_connection(service: Service) -> list[Hop]:
    """Press Test connection on Production's page; the hops as the page shows them."""
    page = service.client.get(EDIT)
    response = service.client.post(f"{EDIT}/test", data={"csrf_token": csrf(page.text)})
    assert response.status_code == 200
    hops = []
    for match in HOP.finditer(response.text):
        latency = re.search(r"(\d+) ms", match["meta"])
        hops.append(
            Hop(
                match["outcome"],
                html.unescape(match["label"]),
                int(latency[1]) if latency else None,
                html.unescape(match["message"]),
                html.unescape(match["fix"] or ""),
            )
        )
    assert [hop.label for hop in hops] == LABELS
    return hops


def test_every_hop_answers_with_its_latency(admin: Service) -> None:
    hops = press_test_connection(admin)

    assert [hop.outcome for hop in hops] == ["ok"] * 4
    assert all(hop.latency_ms is not None and hop.latency_ms >= 0 and not hop.fix for hop in hops)
    assert hops[2].message == "The identity server gave PMS Sync a service token."


def test_the_two_chains_run_concurrently_and_each_in_order(admin: Service) -> None:
    admin.faults.add("/aderant/v1/health", delay=0.4)
    admin.faults.add("/production/identity/connect/token", delay=0.4)
    admin.calls.clear()

    hops = press_test_connection(admin)

    assert [hop.outcome for hop in hops] == ["ok"] * 4
    assert hops[0].latency_ms >= 400 and hops[2].latency_ms >= 400  # type: ignore[operator]
    calls = {call.path: call for call in admin.calls.calls}
    agent, token = calls["/aderant/v1/health"], calls["/production/identity/connect/token"]
    assert agent.started < token.finished and token.started < agent.finished  # the chains overlap
    api = calls["/production/api/v2/public/types/tree"]
    assert api.started >= token.finished  # the API is asked with the token just obtained


def test_an_agent_failing_is_the_first_hop_and_the_clio_chain_still_runs(admin: Service) -> None:
    admin.faults.add("/aderant/*", status=503)

    hops = press_test_connection(admin)

    assert [hop.outcome for hop in hops] == ["failed", "skipped", "ok", "ok"]
    assert hops[0].message == "Aderant is not reachable for Production: it answered HTTP 503 (injected fault)"
    assert hops[0].fix.startswith("Check that the agent is running")
    assert hops[1].message == "Not tried: the step before it failed." and hops[1].latency_ms is None


# An Aderant database the sandbox's (real) agent cannot open: its folder does not exist.
MISSING_ADERANT_DB = f"sqlite:///{Path(tempfile.gettempdir()) / f'pms-sync-no-such-dir-{uuid.uuid4().hex}' / 'aderant.db'}"


# overrides the fixture the sandbox agent is built on; a fixed id, the same in every pytest-xdist worker
@pytest.mark.parametrize("aderant_db", [MISSING_ADERANT_DB], ids=["missing"])
def test_the_agent_running_without_its_database(admin: Service, aderant_db: str) -> None:
    assert not Path(aderant_db.removeprefix("sqlite:///")).parent.exists()

    hops = press_test_connection(admin)

    assert [hop.outcome for hop in hops] == ["ok", "failed", "ok", "ok"]
    reached, database = hops[0], hops[1]
    assert database.message == "The agent runs, but its database does not answer (unavailable)."
    assert database.fix == (
        "Check that the Aderant SQL Server is running and that the agent's SQL login can sign in; "
        "the agent's log on the firm's server says more."
    )
    assert database.latency_ms is not None and database.latency_ms == reached.latency_ms


def test_a_wrong_agent_key(admin: Service) -> None:
    submit(admin, EDIT, EDIT, agent_key="not-the-agent-key")

    hops = press_test_connection(admin)

    assert [hop.outcome for hop in hops] == ["failed", "skipped", "ok", "ok"]
    assert hops[0].message.startswith("Aderant refused our credentials for Production: check the agent API key")
    assert hops[0].fix == "Check the Aderant agent key: it must be one of the keys the agent was started with."
    assert "not-the-agent-key" not in hops[0].message


def test_a_wrong_client_secret(admin: Service) -> None:
    submit(admin, EDIT, EDIT, client_secret="not-the-secret")

    hops = press_test_connection(admin)

    assert [hop.outcome for hop in hops] == ["ok", "ok", "failed", "skipped"]
    assert hops[2].message == (
        "Clio Operate refused our credentials for Production: check the client id and secret (invalid_client)"
    )
    assert hops[2].fix.startswith("Check the client ID and client secret against the client registered in Clio Operate")


def test_the_identity_server_refusing_the_request(admin: Service) -> None:
    admin.faults.add("/production/identity/connect/token", status=400)

    hops = press_test_connection(admin)

    assert [hop.outcome for hop in hops] == ["ok", "ok", "failed", "skipped"]
    assert hops[2].message == "Clio Operate rejected the request for Production: injected fault"
    assert hops[2].fix == "Check that the client may use client credentials with the sharedo scope."


def test_the_api_refusing_the_token(admin: Service) -> None:
    admin.faults.add("/production/api/v2/public/types/tree", status=401)

    hops = press_test_connection(admin)

    assert [hop.outcome for hop in hops] == ["ok", "ok", "ok", "failed"]
    assert hops[3].message.startswith("Clio Operate refused our credentials for Production")
    assert hops[3].fix.startswith("The API refused the token: check that the API URL is the same tenant")


def test_the_api_failing(admin: Service) -> None:
    admin.faults.add("/production/api/v2/public/types/tree", status=500)

    hops = press_test_connection(admin)

    assert [hop.outcome for hop in hops] == ["ok", "ok", "ok", "failed"]
    assert hops[3].message == "Clio Operate is not reachable for Production: it answered HTTP 500 (injected fault)"
    assert hops[3].fix.endswith("Clio Operate is failing: try again later.")
