"""The SIEM backlog and delivery failures as the metrics report them."""

from __future__ import annotations

from datetime import timedelta

import httpx2
from sqlalchemy import update
from sqlmodel import Session, col

from clients.http import remote_http_client
from clients.remote_clients import RemoteClients
from plugin.audit_delivery import AuditDelivery
from plugin.environment_clients import EnvironmentClients
from plugin.services import Services
from store.models import AuditEvent, utcnow
from store.repository import Store
from tests.audit.conftest import Clock, FakeSiem, Firm, add_events, clock, firm, siem  # noqa: F401  (fixtures)
from tests.telemetry.conftest import samples, value
from views.metrics import ServiceMetrics


def figures(metrics: ServiceMetrics) -> dict:
    return samples(metrics.text().decode())


async def test_backlog_and_failures_follow_delivery(
    store: Store, firm: Firm, siem: FakeSiem, clock: Clock  # noqa: F811
) -> None:
    metrics = ServiceMetrics()
    http = remote_http_client(transport=httpx2.MockTransport(siem.handle), timeout=5, concurrency=4, observer=metrics)
    metrics.watch(Services(store, EnvironmentClients(RemoteClients(http))))
    assert value(figures(metrics), "pms_sync_audit_backlog_events") == 0
    assert value(figures(metrics), "pms_sync_audit_backlog_oldest_age_seconds") == 0

    add_events(store, firm, firm.with_siem, 3)
    add_events(store, firm, firm.without_siem, 2)  # no webhook: nothing waits to go there
    add_events(store, firm, firm.other_siem, 1)
    with Session(store.engine) as session:
        first = min(e.id for e in store.audit_events(firm.organisation_id, limit=100) if e.environment_id == firm.with_siem)
        session.execute(update(AuditEvent).where(col(AuditEvent.id) == first).values(occurred_at=utcnow() - timedelta(hours=2)))
        session.commit()
    found = figures(metrics)
    assert value(found, "pms_sync_audit_backlog_events") == 4
    assert 2 * 3600 <= value(found, "pms_sync_audit_backlog_oldest_age_seconds") < 3 * 3600

    siem.respond = lambda request: httpx2.Response(503, text="down")
    worker = AuditDelivery(store, RemoteClients(http), holder="replica-a", clock=clock, jitter=lambda ceiling: ceiling, telemetry=metrics)
    assert await worker.run_once() == 0
    found = figures(metrics)
    assert value(found, "pms_sync_audit_delivery_failures_total") == 2  # one per webhook: each stops at its first event
    assert value(found, "pms_sync_audit_backlog_events") == 4

    siem.respond = None
    clock.advance(3600)
    assert await worker.run_once() == 4
    found = figures(metrics)
    assert value(found, "pms_sync_audit_backlog_events") == 0
    assert value(found, "pms_sync_audit_backlog_oldest_age_seconds") == 0
    assert value(found, "pms_sync_audit_delivery_failures_total") == 2
    assert value(found, "pms_sync_remote_calls_total", system="siem", operation="deliver", outcome="5xx") == 2
    assert value(found, "pms_sync_remote_calls_total", system="siem", operation="deliver", outcome="2xx") == 4
    by_webhook: dict[str, set[str]] = {}
    for request in siem.requests[-4:]:  # the successful round
        by_webhook.setdefault(str(request.url), set()).add(request.headers["traceparent"].split("-")[1])
    assert [len(ids) for ids in by_webhook.values()] == [1, 1], "one trace per webhook's round of delivery"
    assert len(set.union(*by_webhook.values())) == 2
    await http.aclose()
