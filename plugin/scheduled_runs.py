"""Scheduled sync runs: close-sync and auto-import dry runs, the changes since import counted
(plugin/drift_summary.py), and a Teams message only when there is something to act on. Each run
is claimed first (a lease per environment, renewed while it runs), so with several replicas no
schedule runs twice at once, and a replica that dies mid-run blocks the next run only until its
lease expires."""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass, field
from datetime import timedelta

from clients.aderant_models import MatterSummary
from clients.errors import RemoteError
from clients.otel import internal_span
from clients.tracing import background_trace
from plugin.auto_import import auto_import_dry_run
from plugin.close_sync import CloseCandidate, close_sync_dry_run
from plugin.drift_summary import DriftSummary, summarise_drift
from plugin.errors import NotFound, UseCaseError
from plugin.notifications import action_card
from plugin.portal_links import panel_link
from plugin.services import Services
from store.repository import EnvironmentSettings

log = logging.getLogger(__name__)

INTERRUPTED = "The service stopped during the run. The next scheduled run, or Run now, does it again."


@dataclass
class RunReport:
    run_id: int
    close_sync: int | None = None
    auto_import: int | None = None
    drift: DriftSummary | None = None  # None: the check could not run (said in `errors`)
    notification: str = "nothing to action"
    errors: list[str] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        return "failed" if self.errors else "succeeded"


class SyncRunner:
    def __init__(
        self,
        services: Services,
        *,
        holder: str,
        public_url: str,
        lease_ttl: timedelta = timedelta(minutes=10),
        notify_attempts: int = 3,
        notify_backoff: float = 1.0,
    ) -> None:
        self.services = services
        self.holder = holder
        self.public_url = public_url.rstrip("/")
        self.lease_ttl = lease_ttl
        self.notify_attempts = notify_attempts
        self.notify_backoff = notify_backoff
        self._leases = services.store.leases
        self._running: set[int] = set()  # the lease is re-entrant for its holder; this is not
        self.due_checks = 0  # how many times run_due has looked for due schedules and run them

    async def run_due(self) -> int:
        """Run every schedule that is due (the scheduler's job). Returns how many ran here."""
        due = await self.services.db(self.services.store.schedules.due)
        reports = await asyncio.gather(*(self._run_scheduled(org, env) for org, env in due))
        self.due_checks += 1
        return sum(1 for r in reports if r is not None)

    async def run_now(self, organisation_id: int, environment_id: int) -> RunReport:
        """"Run now": the same run, on demand. Refused while another replica is running it."""
        env = await self._environment(organisation_id, environment_id)
        report = await self._run(env, "run-now")
        if report is None:
            raise UseCaseError("A run of this schedule is already in progress: wait for it to finish.")
        return report

    async def _run_scheduled(self, organisation_id: int, environment_id: int) -> RunReport | None:
        with background_trace(), internal_span("scheduled run"):  # one request id for the run's log lines and calls
            try:
                env = await self._environment(organisation_id, environment_id)
                return await self._run(env, "schedule")
            except Exception:  # one environment's trouble must not stop the others
                log.exception("scheduled run of environment %s failed", environment_id)
                return None

    async def _environment(self, organisation_id: int, environment_id: int) -> EnvironmentSettings:
        env = await self.services.db(self.services.store.environment, organisation_id, environment_id)
        if env is None:
            raise NotFound("That environment does not exist in your organisation.")
        return env

    async def _run(self, env: EnvironmentSettings, trigger: str) -> RunReport | None:
        lease = f"schedule:{env.id}"
        if env.id in self._running:
            return None
        self._running.add(env.id)
        try:
            if not await self.services.db(self._leases.try_acquire, lease, self.holder, self.lease_ttl):
                return None
            return await self._run_holding(env, trigger, lease)
        finally:
            self._running.discard(env.id)

    async def _run_holding(self, env: EnvironmentSettings, trigger: str, lease: str) -> RunReport | None:
        heartbeat = asyncio.create_task(self._keep(lease))
        stopping = False
        try:
            return await self._run_recorded(env, trigger)
        except asyncio.CancelledError:
            stopping = True
            raise
        finally:
            heartbeat.cancel()
            if stopping:  # a task being torn down may be cancelled again at its next await
                self._leases.release(lease, self.holder)
            else:
                await self.services.db(self._leases.release, lease, self.holder)

    async def _run_recorded(self, env: EnvironmentSettings, trigger: str) -> RunReport | None:
        schedules = self.services.store.schedules
        run_id = await self.services.db(schedules.start_run, env.organisation_id, env.id, trigger=trigger, holder=self.holder)
        if run_id is None:
            return None
        report = RunReport(run_id)
        try:
            await self._dry_runs(env, report)
        except asyncio.CancelledError:  # the service is stopping: say so rather than leave it "running"
            schedules.finish_run(
                run_id, outcome="interrupted", close_sync_count=None, auto_import_count=None, notification=None,
                error=INTERRUPTED,
            )
            self.services.telemetry.schedule_run_finished("interrupted")
            raise
        await self.services.db(
            schedules.finish_run,
            run_id,
            outcome=report.outcome,
            close_sync_count=report.close_sync,
            auto_import_count=report.auto_import,
            notification=report.notification,
            error="; ".join(report.errors) or None,
            drift=None if report.drift is None else report.drift.to_json(),
        )
        self.services.telemetry.schedule_run_finished(report.outcome)
        return report

    async def _keep(self, lease: str) -> None:
        while True:
            await asyncio.sleep(self.lease_ttl.total_seconds() / 3)
            await self.services.db(self._leases.try_acquire, lease, self.holder, self.lease_ttl)

    async def _dry_runs(self, env: EnvironmentSettings, report: RunReport) -> None:
        """The three parts at once; a remote failure in one is reported and leaves the others."""
        closes, imports, drift = await asyncio.gather(
            close_sync_dry_run(self.services, env), auto_import_dry_run(self.services, env),
            summarise_drift(self.services, env), return_exceptions=True,
        )
        parts = (("Close-sync could not run", closes), ("Auto-import could not run", imports),
                 ("Changes since import could not be checked", drift))
        for failed, result in parts:
            if isinstance(result, BaseException):
                if not isinstance(result, (RemoteError, UseCaseError)):
                    raise result
                report.errors.append(f"{failed}: {result}")
        to_close = closes if isinstance(closes, list) else None
        to_import = imports if isinstance(imports, list) else None
        report.close_sync = None if to_close is None else len(to_close)
        report.auto_import = None if to_import is None else len(to_import)
        report.drift = drift if isinstance(drift, DriftSummary) else None
        to_apply = report.drift if report.drift is not None and report.drift.something_to_apply else None
        if to_close or to_import or to_apply:
            report.notification = await self._notify(env, to_close or [], to_import or [], to_apply)

    async def _notify(
        self, env: EnvironmentSettings, closes: list[CloseCandidate], imports: list[MatterSummary], drift: DriftSummary | None
    ) -> str:
        """Tell Teams, retrying with backoff; the outcome is recorded and never fails the run."""
        schedule = await self.services.db(self.services.store.schedules.schedule, env.organisation_id, env.id)
        if not schedule.teams_webhook:
            return "not sent: no Teams webhook is set"
        card = action_card(
            env.name, closes, imports, drift,
            links={
                "close_sync": panel_link(env, "close-sync", service_url=self.public_url),
                "auto_import": panel_link(env, "auto-import", service_url=self.public_url),
                "drift": panel_link(env, "drift", service_url=self.public_url),
            },
        )
        webhook = self.services.remotes.teams(schedule.teams_webhook, env)
        error: RemoteError | None = None
        for attempt in range(self.notify_attempts):
            try:
                await webhook.post_card(card)
                return f"sent (attempt {attempt + 1})"
            except RemoteError as exc:
                error = exc
                if attempt + 1 < self.notify_attempts:
                    await asyncio.sleep(self.notify_backoff * 2**attempt * random.uniform(0.5, 1.0))
        return f"failed after {self.notify_attempts} attempts: {error}"
