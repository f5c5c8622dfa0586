"""The settings cache through the service: a preview on a warm cache reads its matter's own rows and
nothing else (the settings version too once the recheck interval has passed); a save on one replica
is seen by another replica on the same database once that replica's interval has passed."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx2
import pytest
from sqlalchemy import Engine, event
from starlette.testclient import TestClient

from sandbox.clio.seed import TEAM_PROPERTY_MELBOURNE_ID
from tests.settings.conftest import ADMIN, csrf
from tests.views.conftest import SERVICE, Service
from views.app import create_app

TABLE = re.compile(r"\b(?:FROM|JOIN)\s+\"?(\w+)", re.IGNORECASE)


@contextmanager
def sql_statements(engine: Engine) -> Iterator[list[str]]:
    """Every SQL statement sent on `engine` inside the block."""
    sent: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", note)


def engine_of(client: TestClient) -> Engine:
    return client.app.state.runtime.services.store.engine  # type: ignore[attr-defined]


def tables(statement: str) -> set[str]:
    return {name.lower() for name in TABLE.findall(statement)}


@pytest.mark.parametrize("matter", ["82001", "82007", "82003"])  # 4 parties, 50 parties, imported
def test_a_warm_preview_reads_its_matter_once_and_nothing_else(service: Service, matter: str) -> None:
    headers = service.bearer()
    assert service.client.get(f"/api/v1/matters/{matter}/preview", headers=headers).status_code == 200
    with sql_statements(engine_of(service.client)) as sent:
        response = service.client.get(f"/api/v1/matters/{matter}/preview", headers=headers)
    assert response.status_code == 200 and len(response.json()["teams"]) == 1
    assert [tables(s) for s in sent] == [{"organisation", "matterimport", "partylink"}]


def test_once_the_recheck_interval_has_passed_a_preview_reads_the_settings_version_first(service: Service) -> None:
    assert service.settings is not None
    always = dataclasses.replace(service.settings, settings_recheck_seconds=0)
    with TestClient(create_app(always, transport=httpx2.ASGITransport(app=service.sandbox)), base_url=SERVICE) as replica:
        preview = "/api/v1/matters/82001/preview?environment=1"
        headers = service.bearer()  # one token: a new one (another second's) is verified again
        assert replica.get(preview, headers=headers).status_code == 200
        with sql_statements(engine_of(replica)) as sent:
            assert replica.get(preview, headers=headers).status_code == 200
    assert [tables(s) for s in sent] == [{"organisation"}, {"organisation", "matterimport", "partylink"}]


def test_a_save_on_one_replica_is_seen_by_another_once_its_recheck_interval_has_passed(service: Service) -> None:
    assert service.settings is not None
    # An interval of 0: the replica asks on its next request (the bound itself: tests/plugin/test_settings_cache.py).
    other = create_app(dataclasses.replace(service.settings, settings_recheck_seconds=0), transport=httpx2.ASGITransport(app=service.sandbox))
    preview = "/api/v1/matters/82001/preview?environment=1"
    with TestClient(other, base_url=SERVICE) as replica:
        headers = service.bearer()  # one token, so no read below is the token's own check
        before = replica.get(preview, headers=headers).json()
        assert [t["name"] for t in before["teams"]] == ["Litigation – Sydney"]

        service.sign_in(ADMIN)
        token = csrf(service.client.get("/settings/teams?environment=1").text)
        added = service.client.post("/settings/teams?environment=1", follow_redirects=False, data={
            "csrf_token": token, "action": "add", "work_type": "matter-litigation", "q": "Property",
            "team_id": TEAM_PROPERTY_MELBOURNE_ID, "role": "contributor",
        })
        assert added.status_code == 303

        with sql_statements(engine_of(replica)) as sent:
            after = replica.get(preview, headers=headers).json()
    assert [t["name"] for t in after["teams"]] == ["Litigation – Sydney", "Property – Melbourne"]
    assert {"environment", "defaultteam", "mappingversion", "worktyperoles"} <= set().union(*map(tables, sent)), \
        "the replica reloaded the settings the save made stale"
