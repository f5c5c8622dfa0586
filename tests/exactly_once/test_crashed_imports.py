"""An import whose process died: its claim is taken over once its lease runs out (renewed every
HEARTBEAT while an import runs), and its History row ends as interrupted."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlmodel import Session, col, select

import plugin.importer as importer
from benchmarks.service_processes import IN_PROGRESS, kill_mid_import
from store.db import make_engine
from store.imports import Attempt
from store.models import ContactClaim, MatterImport
from tests.views.conftest import Service

WORK_ITEM = "/production/api/v1/public/workItem"


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


def stored_lease(service: Service) -> datetime | None:
    """When the claim of the import in progress runs out, as stored."""
    with Session(service.store.engine) as session:
        expiry = session.exec(select(MatterImport.lease_expires_at).where(MatterImport.status == "in_progress")).first()
    return expiry.replace(tzinfo=UTC) if expiry is not None else None


def test_a_running_import_renews_its_claim_so_it_is_not_taken_over(service: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    headers = service.bearer()
    monkeypatch.setattr(importer, "CLAIM_LEASE", timedelta(seconds=1))
    monkeypatch.setattr(importer, "HEARTBEAT", timedelta(seconds=0.2))
    slow = service.faults.add(WORK_ITEM, method="POST", delay=4, times=1)  # the import runs past its lease

    with ThreadPoolExecutor(max_workers=1) as pool:
        running = pool.submit(service.client.post, "/api/v1/matters/82001/import", json={}, headers=headers)
        deadline = time.monotonic() + 20
        while not slow.fired:  # the import holds its claim and waits on Clio Operate
            assert time.monotonic() < deadline, "the import never reached the work-item write"
            time.sleep(0.02)
        first_lease = stored_lease(service)
        assert first_lease is not None
        # Wait until the lease first taken has run out and the heartbeat has pushed it past now.
        while not (datetime.now(UTC) > first_lease and (stored_lease(service) or first_lease) > datetime.now(UTC)):
            assert time.monotonic() < deadline, "the claim was not renewed while the import ran"
            time.sleep(0.02)
        second = service.client.post("/api/v1/matters/82001/import", json={}, headers=headers)
        first = running.result()
    assert second.status_code == 409 and IN_PROGRESS in second.json()["error"]
    assert first.status_code == 201


def test_a_service_killed_mid_import_is_taken_over_within_the_lease(database_url: str, aderant_db: str) -> None:
    leases: list[datetime] = []

    def lease_runs_out() -> None:
        """The dead service's leases as stored, then ended as the clock reaching them would."""
        engine = make_engine(database_url)
        with Session(engine) as session:
            leases.extend(session.exec(
                select(MatterImport.lease_expires_at).where(MatterImport.status == "in_progress")
            ).all())
            now = datetime.now(UTC)
            session.execute(update(MatterImport).where(col(MatterImport.status) == "in_progress").values(lease_expires_at=now))
            session.execute(update(ContactClaim).where(col(ContactClaim.status) == "creating").values(lease_expires_at=now))
            session.commit()
        engine.dispose()

    taken = kill_mid_import(database_url, aderant_db, lease_runs_out=lease_runs_out)

    assert taken.refused_at_restart.status_code == 409 and IN_PROGRESS in taken.refused_at_restart.json()["error"]
    assert taken.retry.status_code == 201, taken.retry.text
    # The lease (15 s) was last renewed at most one heartbeat (5 s) before the kill.
    [lease] = [expiry.replace(tzinfo=UTC) for expiry in leases]
    held = lease - taken.killed_at
    assert importer.CLAIM_LEASE - importer.HEARTBEAT - timedelta(seconds=1) <= held <= importer.CLAIM_LEASE, held
    crashed = [h for h in taken.history if h["outcome"] == "interrupted"]
    assert len(crashed) == 1 and crashed[0]["finished_at"] is not None
    assert taken.history[0]["outcome"] == "imported"
    # The person whose create was in flight when the service died landed, and was reused.
    people = taken.tenant.state.people.values()
    assert len(people) == taken.people_before + 2
    for person in people:
        if person.reference:
            assert [p.id for p in people if p.reference == person.reference] == [person.id]
