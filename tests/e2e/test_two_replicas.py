"""Two `pms-sync serve` processes over one database, as compose.yaml runs them behind its proxy:
whichever replica a request reaches, a session signed in on the other is valid, a save is seen,
and matters sharing a party imported through both at once create that party once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx2
import pytest
from starlette.applications import Starlette

from benchmarks.service_processes import configure_organisation, serve_service, stop_service
from plugin.settings_cache import RECHECK_SECONDS
from sandbox.clio.seed import TEAM_PROPERTY_MELBOURNE_ID
from sandbox.loopback import sandbox_on_loopback
from sandbox.ports import bound_socket, port_of
from tests.exactly_once.test_shared_parties import matters_sharing_a_party
from tests.settings.conftest import ADMIN, csrf
from tests.sync.conftest import aderant_db, aderant_template  # noqa: F401  (a copy of the Aderant database per test)


@dataclass
class Replicas:
    urls: tuple[str, str]
    sandbox: Starlette
    sandbox_url: str

    def token(self, username: str = "staff@sandbox.test") -> str:
        return self.sandbox.state.sandbox.tenants["production"].mint_user_token(username)

    def bearer(self, username: str = "staff@sandbox.test") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(username)}"}


@pytest.fixture
def replicas(database_url: str, aderant_db: str) -> Iterator[Replicas]:
    sockets = (bound_socket(), bound_socket())
    urls = (f"http://127.0.0.1:{port_of(sockets[0])}", f"http://127.0.0.1:{port_of(sockets[1])}")
    with sockets[0], sockets[1], sandbox_on_loopback(aderant_db, urls[0]) as (sandbox, base):
        key = configure_organisation(database_url, sandbox, base)
        processes = [serve_service(database_url, key, sock) for sock in sockets]
        try:
            yield Replicas(urls, sandbox, base)
        finally:
            for process in processes:
                stop_service(process)


def test_a_session_signed_in_on_one_replica_is_valid_on_the_other(replicas: Replicas) -> None:
    first, second = replicas.urls
    with httpx2.Client(base_url=first) as one:
        signed_in = one.post("/embed/session", json={"token": replicas.token(), "portal_origin": replicas.sandbox_url})
        assert signed_in.status_code == 200, signed_in.text
        cookies = dict(one.cookies)
    search_form = 'data-waits-for="Aderant (Production)"'  # shown only to someone signed in
    with httpx2.Client(base_url=second, cookies=cookies, timeout=30) as other:
        page = other.get("/", params={"q": "82001", "environment": 1}, follow_redirects=True)
        assert page.status_code == 200 and search_form in page.text and "82001" in page.text
    with httpx2.Client(base_url=second, timeout=30) as stranger:
        assert search_form not in stranger.get("/", follow_redirects=True).text


def test_a_save_on_one_replica_is_seen_by_the_other_within_its_recheck_interval(replicas: Replicas) -> None:
    first, second = replicas.urls
    preview = "/api/v1/matters/82001/preview?environment=1"
    with httpx2.Client(base_url=second, headers=replicas.bearer(), timeout=30) as other:
        assert [t["name"] for t in other.get(preview).json()["teams"]] == ["Litigation – Sydney"]  # read and cached

        with httpx2.Client(base_url=first, timeout=30) as admin:
            admin.post("/embed/session", json={"token": replicas.token(ADMIN), "portal_origin": replicas.sandbox_url})
            token = csrf(admin.get("/settings/teams?environment=1").text)
            added = admin.post("/settings/teams?environment=1", data={
                "csrf_token": token, "action": "add", "work_type": "matter-litigation", "q": "Property",
                "team_id": TEAM_PROPERTY_MELBOURNE_ID, "role": "contributor",
            })
            assert added.status_code == 303, added.text

        saved_at, wanted = time.monotonic(), ["Litigation – Sydney", "Property – Melbourne"]
        while (teams := [t["name"] for t in other.get(preview).json()["teams"]]) != wanted:
            assert time.monotonic() - saved_at < RECHECK_SECONDS + 5, f"still {teams}"  # the bound, with room for a slow machine
            time.sleep(0.05)


def test_matters_sharing_a_party_imported_through_both_replicas_at_once_create_it_once(
    replicas: Replicas, aderant_db: str
) -> None:
    headers = replicas.bearer()
    clients = [httpx2.Client(base_url=url, headers=headers, timeout=60) for url in replicas.urls]
    try:
        matters, reference = matters_sharing_a_party(aderant_db, lambda n: clients[0].get(f"/api/v1/matters/{n}/preview").json())

        def run(i: int) -> httpx2.Response:
            return clients[i % 2].post(f"/api/v1/matters/{matters[i]}/import", json={})

        with ThreadPoolExecutor(max_workers=len(matters)) as pool:
            responses = list(pool.map(run, range(len(matters))))
        assert [r.status_code for r in responses] == [201] * len(matters), [r.text for r in responses]

        state = replicas.sandbox.state.sandbox.tenants["production"].state
        stamped = [c.id for c in (*state.people.values(), *state.organisations.values()) if c.reference == reference]
        assert len(stamped) == 1, "one contact for the shared Aderant name, whichever replica imported"
        used = [p["ods_id"] for r in responses for kind in ("created", "linked") for p in r.json()["contacts"][kind]]
        assert used.count(stamped[0]) == len(matters)

        again = clients[1].post(f"/api/v1/matters/{matters[0]}/import", json={})  # imported through the first replica
        assert again.status_code == 200 and again.json()["status"] == "already_imported"
        history = clients[1].get("/api/v1/history", params={"limit": 50}).json()["items"]
        assert sorted(i["matter_number"] for i in history if i["outcome"] == "imported") == sorted(matters)
    finally:
        for client in clients:
            client.close()
