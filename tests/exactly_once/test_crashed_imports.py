"""An import whose process died: its claim is taken over once its lease runs out (renewed every
HEARTBEAT while an import runs), and its History row ends as interrupted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import httpx2
import pytest
import uvicorn
from starlette.testclient import TestClient

import plugin.importer as importer
from plugin.settings import Settings
from sandbox.app import create_sandbox_app
from sandbox.demo import configure_sandbox_organisation
from sandbox.ports import free_port_pair
from store.db import make_engine
from store.imports import Attempt
from store.repository import Store
from store.secrets import SecretBox
from tests.views.conftest import AGENT_KEY, SERVICE, Service
from views.app import create_app

PEOPLE = "/production/api/public/v1/people"
WORK_ITEM = "/production/api/v1/public/workItem"
IN_PROGRESS = "already in progress"


def production_id(service: Service) -> int:
    return next(e["id"] for e in service.client.get("/api/v1/environments", headers=service.bearer()).json() if e["name"] == "Production")


def test_a_claim_whose_holder_died_is_taken_over_and_its_row_interrupted(service: Service) -> None:
    headers = service.bearer()
    # A holder that claimed 82001 and died: nothing renews its claim.
    dead = service.store.imports.claim(
        Attempt(service.organisation_id, production_id(service), "82001", "82001", "gone@sandbox.test"), timedelta(minutes=10)
    )
    assert dead.kind == "claimed"

    refused = service.client.post("/api/v1/matters/82001/import", json={}, headers=headers)
    assert refused.status_code == 409 and IN_PROGRESS in refused.json()["error"]
    assert service.store.imports.renew(dead, timedelta(seconds=-1))  # its lease has now run out
    taken = service.client.post("/api/v1/matters/82001/import", json={}, headers=headers)
    assert taken.status_code == 201, taken.text

    crashed = service.store.imports.attempt(service.organisation_id, dead.attempt_id)
    assert crashed is not None and crashed.outcome == "interrupted" and crashed.finished_at is not None
    outcomes = [i["outcome"] for i in service.client.get("/api/v1/history", headers=headers).json()["items"]]
    assert outcomes == ["imported", "refused", "interrupted"]


def test_a_running_import_renews_its_claim_so_it_is_not_taken_over(service: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    headers = service.bearer()
    monkeypatch.setattr(importer, "CLAIM_LEASE", timedelta(seconds=1))
    monkeypatch.setattr(importer, "HEARTBEAT", timedelta(seconds=0.2))
    slow = service.faults.add(WORK_ITEM, method="POST", delay=6, times=1)  # the import runs past its lease

    with ThreadPoolExecutor(max_workers=1) as pool:
        running = pool.submit(service.client.post, "/api/v1/matters/82001/import", json={}, headers=headers)
        deadline = time.monotonic() + 20
        while not slow.fired:  # the import holds its claim and waits on Clio Operate
            assert time.monotonic() < deadline, "the import never reached the work-item write"
            time.sleep(0.02)
        time.sleep(2.5)  # more than twice the lease: only the heartbeat keeps the claim alive
        second = service.client.post("/api/v1/matters/82001/import", json={}, headers=headers)
        first = running.result()
    assert second.status_code == 409 and IN_PROGRESS in second.json()["error"]
    assert first.status_code == 201


@pytest.fixture
def sandbox_on_loopback(aderant_db: str):  # type: ignore[no-untyped-def]
    """The sandbox served over loopback from this process, so it outlives the service we kill."""
    port = free_port_pair()
    base = f"http://127.0.0.1:{port}"
    app = create_sandbox_app(base_url=base, aderant_database_url=aderant_db, agent_api_key=AGENT_KEY, service_url=SERVICE)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the sandbox did not start"
        time.sleep(0.05)
    yield app, base
    server.should_exit = True
    thread.join(timeout=10)


def test_a_service_killed_mid_import_is_taken_over_within_the_lease(sandbox_on_loopback, database_url: str) -> None:  # type: ignore[no-untyped-def]
    sandbox, base = sandbox_on_loopback
    controls = sandbox.state.sandbox
    key = SecretBox.generate_key()
    store = Store(make_engine(database_url), SecretBox(key))
    configure_sandbox_organisation(store, controls.environments(), agent_url=f"{base}/aderant", agent_key=AGENT_KEY)
    tenant = controls.tenants["production"]
    headers = {"Authorization": f"Bearer {tenant.mint_user_token('staff@sandbox.test')}"}
    port = free_port_pair()
    service_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ, "PMS_SYNC_DATABASE_URL": database_url, "PMS_SYNC_SECRET_KEYS": key,
        "PMS_SYNC_PUBLIC_URL": service_url, "PMS_SYNC_COOKIE_SECURE": "false", "PMS_SYNC_LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "views.cli", "serve", "--port", str(port)],
        env=env, cwd=Path(__file__).resolve().parents[2], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None and time.monotonic() < deadline, "the service did not start"
            try:
                if httpx2.get(f"{service_url}/readyz").status_code == 200:
                    break
            except httpx2.TransportError:
                pass
            time.sleep(0.1)
        people = len(tenant.state.people)
        rule = controls.faults.add(PEOPLE, method="POST", delay=3, times=1)  # a contact create in flight
        threading.Thread(
            target=lambda: _ignore_errors(lambda: httpx2.post(f"{service_url}/api/v1/matters/82001/import", json={}, headers=headers, timeout=30)),
            daemon=True,
        ).start()
        while rule.fired == 0:
            assert time.monotonic() < deadline + 30, "the import did not reach Clio Operate"
            time.sleep(0.05)
        time.sleep(0.3)
        os.kill(process.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()

    # Restarted: a new instance of the service over the same database.
    settings = Settings(database_url=database_url, secret_keys=key, public_url=SERVICE, cookie_secure=False)
    with TestClient(create_app(settings), base_url=SERVICE) as client:
        refused = client.post("/api/v1/matters/82001/import", json={}, headers=headers)
        assert refused.status_code == 409 and IN_PROGRESS in refused.json()["error"]
        while True:
            retry = client.post("/api/v1/matters/82001/import", json={}, headers=headers)
            took = time.monotonic() - killed_at
            if retry.status_code != 409 or took > 40:
                break
            time.sleep(0.25)
        history = client.get("/api/v1/history", params={"limit": 200}, headers=headers).json()["items"]
    store.engine.dispose()

    assert retry.status_code == 201, retry.text
    print(f"taken over {took:.1f} s after the kill")
    # The lease (15 s) was last renewed at most one heartbeat (5 s) before the kill.
    assert importer.CLAIM_LEASE - importer.HEARTBEAT - timedelta(seconds=1) <= timedelta(seconds=took) <= importer.CLAIM_LEASE + timedelta(seconds=2), took
    crashed = [h for h in history if h["outcome"] == "interrupted"]
    assert len(crashed) == 1 and crashed[0]["finished_at"] is not None
    assert history[0]["outcome"] == "imported"
    # The person whose create was in flight when the service died landed, and was reused.
    assert len(tenant.state.people) == people + 2
    for person in tenant.state.people.values():
        if person.reference:
            assert len(contacts_stamped_in(tenant, person.reference)) == 1


def contacts_stamped_in(tenant, reference: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [p.id for p in tenant.state.people.values() if p.reference == reference]


def _ignore_errors(call) -> None:  # type: ignore[no-untyped-def]
    try:
        call()
    except httpx2.HTTPError:
        pass  # the service was killed mid-answer
