"""Several matters of one client imported at once: the client (one Aderant name) becomes one
contact in the environment, through one app or two sharing the database (two replicas)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx2
from sqlalchemy import create_engine, text
from starlette.testclient import TestClient

from plugin.settings import Settings
from tests.exactly_once.conftest import contacts_stamped
from tests.views.conftest import SERVICE, Service
from views.app import create_app


def matters_sharing_a_party(aderant_url: str, preview: Callable[[str], dict]) -> tuple[list[str], str]:
    """Three importable matters of the sandbox's Aderant database with one party in common, and
    that party's Aderant reference (`preview` answers a matter's preview as staff see it)."""
    engine = create_engine(aderant_url)
    with engine.connect() as connection:
        shared = connection.execute(text(
            "SELECT p.NAME_UNO, m.MATTER_NUMBER FROM _HBM_MATTER_PARTY p JOIN HBM_MATTER m ON m.MATTER_UNO = p.MATTER_UNO "
            "WHERE p.NAME_UNO IN (SELECT NAME_UNO FROM _HBM_MATTER_PARTY GROUP BY NAME_UNO HAVING COUNT(DISTINCT MATTER_UNO) >= 3) "
            "ORDER BY p.NAME_UNO, m.MATTER_NUMBER"
        )).all()
    engine.dispose()
    by_name: dict[int, list[str]] = {}
    for name_uno, number in shared:
        by_name.setdefault(name_uno, []).append(str(number))
    for name_uno, numbers in by_name.items():
        previews = [preview(n) for n in numbers[:3]]
        if all(not p.get("warnings") and "parties" in p for p in previews):
            return [p["matter_number"] for p in previews], f"ADERANT:{name_uno}"
    raise AssertionError("the sandbox has no three importable matters sharing a party")


def staff_preview(service: Service) -> Callable[[str], dict]:
    headers = service.bearer()
    return lambda number: service.client.get(f"/api/v1/matters/{number}/preview", headers=headers).json()


def import_all_at_once(clients: list[TestClient], headers: dict[str, str], matters: list[str]) -> list[httpx2.Response]:
    def run(i: int) -> httpx2.Response:
        return clients[i % len(clients)].post(f"/api/v1/matters/{matters[i]}/import", json={}, headers=headers)

    with ThreadPoolExecutor(max_workers=len(matters)) as pool:
        return list(pool.map(run, range(len(matters))))


def test_concurrent_imports_sharing_a_party_create_it_once(service: Service) -> None:
    matters, reference = matters_sharing_a_party(service.aderant_url, staff_preview(service))
    responses = import_all_at_once([service.client], service.bearer(), matters)
    assert [r.status_code for r in responses] == [201] * len(matters), [r.text for r in responses]
    assert len(contacts_stamped(service, reference)) == 1
    assert len({r.json()["work_item_id"] for r in responses}) == len(matters)


def test_two_replicas_sharing_a_party_create_it_once(service: Service) -> None:
    matters, reference = matters_sharing_a_party(service.aderant_url, staff_preview(service))
    settings = Settings(
        database_url=str(service.store.engine.url.render_as_string(hide_password=False)),
        secret_keys=service.client.app.state.runtime.settings.secret_keys,
        public_url=SERVICE,
        cookie_secure=False,
    )
    with TestClient(create_app(settings, transport=httpx2.ASGITransport(app=service.sandbox)), base_url=SERVICE) as second:
        responses = import_all_at_once([service.client, second], service.bearer(), matters)
    assert [r.status_code for r in responses] == [201] * len(matters), [r.text for r in responses]
    [contact] = contacts_stamped(service, reference)
    used = [p["ods_id"] for r in responses for kind in ("created", "linked") for p in r.json()["contacts"][kind]]
    assert used.count(contact) == len(matters), "every import uses the one contact"
