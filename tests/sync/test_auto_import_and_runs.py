"""Auto-import, scheduled runs, Teams notifications, and one runner across replicas."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, timedelta

import httpx2
import pytest
from sqlalchemy import text
from starlette.testclient import TestClient

from plugin.auto_import import apply_auto_import, auto_import_dry_run
from plugin.importer import Actor
from plugin.scheduled_runs import SyncRunner
from plugin.settings import Settings
from sandbox.clio.seed import ADMIN_USER_ID
from store.leases import Leases
from store.schedules import ScheduleSettings
from tests.sync.conftest import import_matter, set_status
from tests.views.conftest import SERVICE, Service
from views.app import create_app

WEBHOOK = "https://sandbox.test/teams/pms-sync"  # the sandbox's stand-in Teams, reached in-process


def services(service: Service):  # type: ignore[no-untyped-def]
    return service.client.app.state.runtime.services


def env(service: Service, environment_id: int = 1):  # type: ignore[no-untyped-def]
    return service.store.environment(service.organisation_id, environment_id)


def save_schedule(service: Service, *, webhook: str | None = WEBHOOK, **values: object) -> None:
    settings = ScheduleSettings(service.organisation_id, 1, **values)  # type: ignore[arg-type]
    service.store.schedules.save(settings, actor="admin@sandbox.test", teams_webhook=webhook)


def teams_messages(service: Service) -> list[dict]:
    return service.sandbox.state.sandbox.teams.messages.get("pms-sync", [])


def runner(service: Service, holder: str = "replica-a", **kwargs: object) -> SyncRunner:
    return SyncRunner(services(service), holder=holder, public_url="https://pms-sync.test", notify_backoff=0, **kwargs)  # type: ignore[arg-type]


def expire_leases(service: Service) -> None:
    with service.store.engine.begin() as connection:
        connection.execute(text("UPDATE lease SET expires_at = :t"), {"t": "2000-01-01 00:00:00"})


def until(client: TestClient, condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    """Wait, while the app in ``client`` lives, until ``condition`` holds (``timeout`` only bounds a failure)."""
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        client.portal.call(asyncio.sleep, 0.02)
    raise AssertionError(f"not within {timeout} s: {what}")


def finished_runs(service: Service, client: TestClient) -> list:  # type: ignore[type-arg]
    """Wait, while the app in ``client`` lives, until its scheduler has finished a run."""

    def runs() -> list:  # type: ignore[type-arg]
        return service.store.schedules.runs(service.organisation_id, 1)

    until(client, lambda: bool(runs()) and all(r.outcome != "running" for r in runs()), "a finished run")
    return runs()


class TimedASGITransport(httpx2.ASGITransport):
    """The in-process sandbox with the request's read timeout enforced, as over a socket: httpx's
    ASGITransport ignores timeouts, so a sandbox `timeout` fault would hold the call for minutes."""

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        try:
            return await asyncio.wait_for(super().handle_async_request(request), request.extensions["timeout"]["read"])
        except TimeoutError:
            raise httpx2.ReadTimeout("no answer before the read timeout", request=request) from None


@pytest.fixture(autouse=True)
def https_sandbox(service: Service) -> None:
    """The Teams webhook is https: let the in-process transport answer it too."""
    service.sandbox.state.sandbox.teams.messages.clear()


def test_auto_import_lists_new_matters_of_nominated_clients_and_imports_them(service: Service) -> None:
    save_schedule(service, auto_import_clients=("CL080001",), auto_import_since=date(2026, 1, 1))
    listed = service.client.portal.call(auto_import_dry_run, services(service), env(service))
    assert [m.matter_number for m in listed] == ["82001", "82004", "82008"], "82002 is closed and older; 82003 is imported"
    actor = Actor(ADMIN_USER_ID, "admin@sandbox.test", service.organisation_id)
    [outcome] = service.client.portal.call(apply_auto_import, services(service), env(service), actor, ["82001"])
    assert outcome.status == "imported" and outcome.message == "4 contacts created, 1 linked"
    history = service.client.get("/api/v1/history", headers=service.bearer()).json()["items"]
    assert history[0]["matter_number"] == "82001" and history[0]["user"] == "admin@sandbox.test"
    assert service.store.imports.history(service.organisation_id)[0].trigger == "auto-import"
    again = service.client.portal.call(auto_import_dry_run, services(service), env(service))
    assert [m.matter_number for m in again] == ["82004", "82008"]


def test_no_teams_message_when_nothing_is_actionable(service: Service) -> None:
    save_schedule(service, enabled=True)
    report = service.client.portal.call(runner(service).run_now, service.organisation_id, 1)
    assert (report.outcome, report.close_sync, report.auto_import, report.notification) == ("succeeded", 0, 0, "nothing to action")
    assert teams_messages(service) == []


def test_one_card_when_something_is_actionable(service: Service) -> None:
    import_matter(service, "82001")
    set_status(service, 82001, "CLOSE", date(2026, 10, 1))
    save_schedule(service, enabled=True, auto_import_clients=("CL080001",), auto_import_since=date(2026, 1, 1))
    report = service.client.portal.call(runner(service).run_now, service.organisation_id, 1)
    assert (report.close_sync, report.auto_import, report.notification) == (1, 2, "sent (attempt 1)")
    [message] = teams_messages(service)
    card = message["attachments"][0]["content"]
    assert message["type"] == "message" and card["type"] == "AdaptiveCard"
    text = str(card)
    assert "82001" in text and "82004" in text and "82008" in text
    assert {a["url"] for a in card["actions"]} == {  # the portal page hosting the widget, opening each panel
        "http://sandbox.test/production/portal/?pms-sync-panel=close-sync&pms-sync-environment=1",
        "http://sandbox.test/production/portal/?pms-sync-panel=auto-import&pms-sync-environment=1",
        # the status the mapping writes to an attribute changed in Aderant: a change since import
        "http://sandbox.test/production/portal/?pms-sync-panel=drift&pms-sync-environment=1",
    }
    [run] = service.store.schedules.runs(service.organisation_id, 1)
    assert (run.outcome, run.close_sync_count, run.auto_import_count, run.trigger) == ("succeeded", 1, 2, "run-now")
    assert run.drift is not None and run.drift["to_apply"] == 1


def test_a_failing_teams_webhook_is_retried_recorded_and_never_fails_the_run(service: Service) -> None:
    save_schedule(service, enabled=True, auto_import_clients=("CL080001",), auto_import_since=date(2026, 1, 1))
    service.faults.add("/teams/pms-sync", status=500)
    report = service.client.portal.call(runner(service).run_now, service.organisation_id, 1)
    assert report.outcome == "succeeded" and report.notification.startswith("failed after 3 attempts")
    assert sum(1 for c in service.calls.calls if c.path == "/teams/pms-sync") == 3
    assert service.store.schedules.runs(service.organisation_id, 1)[0].notification.startswith("failed after 3 attempts")
    assert WEBHOOK not in report.notification, "the webhook URL is a secret"


def test_a_teams_timeout_is_retried_recorded_and_never_fails_the_run(service: Service) -> None:
    save_schedule(service, enabled=True, auto_import_clients=("CL080001",), auto_import_since=date(2026, 1, 1))
    service.faults.add("/teams/pms-sync", timeout=True)  # Teams holds each call open, never answering
    rt = service.client.app.state.runtime
    settings = Settings(
        database_url=rt.settings.database_url, secret_keys=rt.settings.secret_keys, public_url=SERVICE,
        cookie_secure=False, remote_timeout=0.5,
    )
    app = create_app(settings, transport=TimedASGITransport(app=service.sandbox))
    with TestClient(app, base_url=SERVICE) as client:
        impatient = SyncRunner(client.app.state.runtime.services, holder="replica-a", public_url="https://pms-sync.test", notify_backoff=0)
        report = client.portal.call(impatient.run_now, service.organisation_id, 1)
    assert [c.status for c in service.calls.calls if c.path == "/teams/pms-sync"] == [None] * 3, "three tries, none answered"
    [run] = service.store.schedules.runs(service.organisation_id, 1)
    assert (run.outcome, run.auto_import_count, report.outcome) == ("succeeded", 3, "succeeded")
    assert run.notification == (
        "failed after 3 attempts: Microsoft Teams did not answer in time for Production: no answer before the time limit"
    )


def test_agent_down_fails_the_run_and_says_why(service: Service) -> None:
    save_schedule(service, enabled=True, auto_import_clients=("CL080001",))
    service.faults.add("/aderant/*", status=503)
    report = service.client.portal.call(runner(service).run_now, service.organisation_id, 1)
    assert report.outcome == "failed" and "Aderant is not reachable" in report.errors[0]
    assert service.store.schedules.runs(service.organisation_id, 1)[0].outcome == "failed"


def test_two_replicas_with_a_schedule_due_run_it_once(service: Service) -> None:
    save_schedule(service, enabled=True)
    a, b = runner(service, "replica-a"), runner(service, "replica-b")

    async def both() -> list[int]:
        return list(await asyncio.gather(a.run_due(), b.run_due(), a.run_due(), b.run_due()))

    assert sum(service.client.portal.call(both)) == 1
    assert len(service.store.schedules.runs(service.organisation_id, 1)) == 1
    assert service.client.portal.call(a.run_due) == 0, "not due again until the interval has passed"


def test_a_runner_killed_mid_run_blocks_only_until_its_lease_expires(service: Service) -> None:
    save_schedule(service, enabled=True)
    short = timedelta(seconds=1)
    # The dead replica took the lease and started a run, then vanished without finishing.
    assert Leases(service.store.engine).try_acquire("schedule:1", "replica-dead", short)
    assert service.store.schedules.start_run(service.organisation_id, 1, trigger="schedule", holder="replica-dead")
    with service.store.engine.begin() as connection:  # the schedule is due again
        connection.execute(text("UPDATE schedule SET next_run_at = :t"), {"t": "2000-01-01 00:00:00"})
    alive = runner(service, "replica-alive", lease_ttl=short)
    assert service.client.portal.call(alive.run_due) == 0, "the lease is still held"
    expire_leases(service)
    assert service.client.portal.call(alive.run_due) == 1
    runs = service.store.schedules.runs(service.organisation_id, 1)
    assert [r.outcome for r in runs] == ["succeeded", "abandoned"]


def test_the_app_runs_due_schedules_on_its_own(service: Service) -> None:
    save_schedule(service, enabled=True)
    rt = service.client.app.state.runtime
    settings = Settings(database_url=rt.settings.database_url, secret_keys=rt.settings.secret_keys, public_url=SERVICE, cookie_secure=False)
    app = create_app(settings, transport=httpx2.ASGITransport(app=service.sandbox), scheduler_tick=0.2)
    with TestClient(app, base_url=SERVICE) as client:
        [run] = finished_runs(service, client)
    assert run.trigger == "schedule" and run.outcome == "succeeded"


def test_two_app_instances_on_one_database_run_a_due_schedule_once(service: Service) -> None:
    save_schedule(service, enabled=True)
    rt = service.client.app.state.runtime
    settings = Settings(database_url=rt.settings.database_url, secret_keys=rt.settings.secret_keys, public_url=SERVICE, cookie_secure=False)
    apps = [create_app(settings, transport=httpx2.ASGITransport(app=service.sandbox), scheduler_tick=0.1) for _ in range(2)]
    with TestClient(apps[0], base_url=SERVICE) as first, TestClient(apps[1], base_url=SERVICE):
        finished_runs(service, first)
        runners = [app.state.runtime.runner for app in apps]
        # Each instance looks for due schedules twice more: the second look began after the run finished.
        wanted = [r.due_checks + 2 for r in runners]
        until(first, lambda: all(r.due_checks >= n for r, n in zip(runners, wanted, strict=True)), "two more looks by each instance")
    runs = service.store.schedules.runs(service.organisation_id, 1)
    assert len(runs) == 1 and runs[0].outcome == "succeeded"


def test_a_run_cut_short_by_shutdown_is_recorded_as_interrupted_and_frees_its_lease(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    save_schedule(service, enabled=True)
    started = asyncio.Event()

    async def endless(*args: object) -> list:  # type: ignore[type-arg]
        started.set()
        await asyncio.sleep(3600)
        return []

    monkeypatch.setattr("plugin.scheduled_runs.close_sync_dry_run", endless)
    slow = runner(service)

    async def start_then_stop() -> None:
        task = asyncio.create_task(slow.run_now(service.organisation_id, 1))
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    service.client.portal.call(start_then_stop)
    [run] = service.store.schedules.runs(service.organisation_id, 1)
    assert run.outcome == "interrupted" and run.finished_at is not None and "Run now" in run.error
    assert Leases(service.store.engine).try_acquire("schedule:1", "replica-b", timedelta(minutes=1)), "the lease was released"


def test_a_removed_environment_schedule_does_not_run(service: Service) -> None:
    save_schedule(service, enabled=True)
    assert service.store.schedules.due() == [(service.organisation_id, 1)]
    with service.store.engine.begin() as connection:
        connection.execute(text("UPDATE environment SET removed_at = CURRENT_TIMESTAMP WHERE id = 1"))
        connection.execute(text("UPDATE organisation SET settings_version = settings_version + 1"))  # as every save does
    assert service.store.schedules.due() == []
