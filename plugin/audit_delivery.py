"""Delivering the audit outbox to each environment's SIEM webhook.

Per environment, events go out in id order and event N+1 only after N succeeded. An environment's
webhook also receives the organisation-level events (members, roles, sign-ins outside Clio Operate
and their refusals), each once per webhook URL of the organisation (store.outbox). A failure is
recorded for that destination (attempts, error, next attempt time) and holds that environment back
until then, so a webhook that is down delays its own delivery, not the others', and loses nothing,
across restarts too. With several replicas, a lease per environment lets one deliver at a time. A
lost answer can still cause a second delivery; the `webhook-id` stays the same so the receiver can
de-duplicate.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from clients.errors import RemoteError
from clients.otel import internal_span
from clients.remote_clients import RemoteClients
from clients.siem import SiemEvent, WebhookGone, retry_after
from clients.tracing import background_trace
from plugin.telemetry import NoTelemetry, Telemetry
from store.clock import utcnow
from store.outbox import AuditRecord, OutboxEvent, PendingEnvironment
from store.repository import Store

__all__ = ["AuditDelivery", "full_jitter", "replica_holder", "siem_event", "webhook_id"]

RETRY_AFTER_LIMIT = 24 * 3600.0  # a longer Retry-After is taken as this, so a bad header cannot stall delivery for ever

logger = logging.getLogger(__name__)


def webhook_id(event: AuditRecord) -> str:
    return f"evt_{event.id}"


def siem_event(event: AuditRecord) -> SiemEvent:
    """The event as the SIEM receives it; its own data cannot override the identifying keys."""
    identity = {
        "id": event.id,
        "organisation_id": event.organisation_id,
        "environment_id": event.environment_id,
        "actor": event.actor,
        "event": event.type,
    }
    data = identity | {k: v for k, v in event.data.items() if k not in identity}
    return SiemEvent(webhook_id(event), f"pms_sync.{event.type}", _utc(event.occurred_at), data)


def full_jitter(ceiling: float) -> float:
    return random.uniform(0.0, ceiling)


def replica_holder() -> str:
    """A lease holder name unique to this process, readable in the lease table."""
    return f"{socket.gethostname()[:60]}/{os.getpid()}/{uuid.uuid4().hex[:8]}"


class AuditDelivery:
    def __init__(
        self,
        store: Store,
        remote: RemoteClients,
        *,
        holder: str,
        clock: Callable[[], datetime] = utcnow,
        jitter: Callable[[float], float] = full_jitter,
        batch: int = 50,
        backoff_base: float = 2.0,
        backoff_cap: float = 3600.0,
        lease_ttl: timedelta = timedelta(minutes=2),
        telemetry: Telemetry | None = None,
    ) -> None:
        """The lease is renewed before each event and must outlast its delivery, so it lasts at
        least three of the remote clients' timeouts."""
        self._store = store
        self._outbox = store.outbox
        self._leases = store.leases
        self._remote = remote
        self.holder = holder
        self._clock = clock
        self._jitter = jitter
        self._batch = batch
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._lease_ttl = max(lease_ttl, timedelta(seconds=3 * remote.timeout))
        # A lease is re-entrant for its holder, so this worker's own runs must not overlap.
        self._running = asyncio.Lock()
        self._telemetry = telemetry or NoTelemetry()

    async def run_forever(self, stop: asyncio.Event, interval: float = 2.0) -> None:
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception:
                logger.exception("Audit delivery failed; trying again in %s s", interval)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)

    async def run_once(self) -> int:
        """Deliver what is due in every environment whose lease this worker gets; returns how many
        events were delivered."""
        async with self._running:
            pending = await asyncio.to_thread(self._outbox.environments_with_pending_events, self._clock())
            results = await asyncio.gather(*(self._deliver_environment(p) for p in pending), return_exceptions=True)
        for environment, result in zip(pending, results, strict=True):
            if isinstance(result, BaseException):
                logger.error("Audit delivery for environment %s failed", environment.environment_id, exc_info=result)
        return sum(result for result in results if isinstance(result, int))

    def backoff(self, attempts: int, error: RemoteError) -> float:
        """Seconds before the next attempt, after the `attempts`-th failure: exponential with full
        jitter, at least what the webhook's Retry-After asked, and the maximum after a 410."""
        if isinstance(error, WebhookGone):
            return self._backoff_cap
        ceiling = min(self._backoff_cap, self._backoff_base * 2 ** min(attempts - 1, 64))
        delay = self._jitter(ceiling)
        asked = retry_after(error)
        return delay if asked is None else max(delay, min(asked, RETRY_AFTER_LIMIT))

    async def _deliver_environment(self, pending: PendingEnvironment) -> int:
        lease = f"audit-delivery:{pending.environment_id}"
        if not await self._hold(lease):
            return 0
        try:
            with background_trace(), internal_span("SIEM delivery"):  # one request id for this round's lines and calls
                return await self._deliver_due(pending, lease)
        finally:
            await asyncio.to_thread(self._leases.release, lease, self.holder)

    async def _deliver_due(self, pending: PendingEnvironment, lease: str) -> int:
        events = await asyncio.to_thread(self._outbox.due_events, pending.environment_id, self._clock(), self._batch)
        if not events:
            return 0
        env = await asyncio.to_thread(self._store.environment, pending.organisation_id, pending.environment_id)
        if env is None or not env.siem_url:
            return 0
        try:
            webhook = self._remote.siem(env.siem_url, env.siem_secret or "", environment_name=env.name)
        except ValueError as problem:
            await self._record_failure(events[0], pending.environment_id, str(problem), self._backoff_cap)
            return 0
        delivered = 0
        for pending_event in events:
            if not await self._hold(lease):
                break
            try:
                await webhook.deliver(siem_event(pending_event.event))
            except RemoteError as error:
                delay = self.backoff(pending_event.attempts + 1, error)
                await self._record_failure(pending_event, pending.environment_id, str(error), delay)
                break
            destination = _destination(pending_event, pending.environment_id)
            await asyncio.to_thread(self._outbox.mark_delivered, pending_event.id, self._clock(), destination=destination)
            delivered += 1
        return delivered

    async def _record_failure(self, pending: OutboxEvent, environment_id: int, error: str, delay: float) -> None:
        self._telemetry.audit_delivery_failed()
        next_attempt_at = self._clock() + timedelta(seconds=delay)
        destination = _destination(pending, environment_id)
        await asyncio.to_thread(self._outbox.mark_failed, pending.id, error, next_attempt_at, destination=destination)
        logger.warning(
            "Audit event %s was not delivered to the SIEM webhook of environment %s (attempt %s): %s. Next attempt at %s.",
            pending.id,
            environment_id,
            pending.attempts + 1,
            error,
            next_attempt_at.isoformat(timespec="seconds"),
        )

    async def _hold(self, lease: str) -> bool:
        return await asyncio.to_thread(self._leases.try_acquire, lease, self.holder, self._lease_ttl, now=self._clock())


def _destination(pending: OutboxEvent, environment_id: int) -> int | None:
    """The environment whose progress an organisation-level event records; None for an environment's own event."""
    return environment_id if pending.organisation_level else None


def _utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
