"""`pms-sync serve` processes on loopback over a database set up as the demo's, run as a firm runs
the service: for the tests and benchmarks that run two replicas over one database, or kill a service.

A service killed (SIGKILL) in the middle of an import, and the import taken over by the service
started again over the same database (`kill_mid_import`): what
tests/exactly_once/test_crashed_imports.py checks and benchmarks/exactly_once.py times. The sandbox
runs on loopback in this process (so it outlives the service, and its state can be read); the
service runs as `pms-sync serve` in a child process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx2
from starlette.applications import Starlette

from sandbox.clio.tenant import Tenant
from sandbox.loopback import AGENT_KEY, sandbox_on_loopback
from sandbox.ports import bound_socket, port_of
from views.demo import configure_database

PEOPLE = "/production/api/public/v1/people"
MATTER = "82001"
IN_PROGRESS = "already in progress"
ROOT = Path(__file__).resolve().parents[1]


def serve_service(database_url: str, key: str, sock: socket.socket) -> subprocess.Popen:
    """`pms-sync serve` on the bound socket (see sandbox.ports), once it answers /readyz."""
    service_url = f"http://127.0.0.1:{port_of(sock)}"
    env = {
        **os.environ, "PMS_SYNC_DATABASE_URL": database_url, "PMS_SYNC_SECRET_KEYS": key,
        "PMS_SYNC_PUBLIC_URL": service_url, "PMS_SYNC_COOKIE_SECURE": "false", "PMS_SYNC_LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "views.cli", "serve", "--fd", str(sock.fileno())],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, pass_fds=(sock.fileno(),),
    )
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("the service did not start")
        try:
            if httpx2.get(f"{service_url}/readyz").status_code == 200:
                return process
        except httpx2.TransportError:
            pass
        time.sleep(0.1)


def stop_service(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def configure_organisation(database_url: str, sandbox: Starlette, base: str) -> str:
    """The demo's organisation and environments in the database, reaching the sandbox at `base`;
    the secret key the services must run with."""
    return configure_database(
        database_url, sandbox.state.sandbox.environments(), agent_url=f"{base}/aderant", agent_key=AGENT_KEY
    )


HELD = 3.0
"""Seconds Clio Operate holds the contact create the service is killed during."""


@dataclass(frozen=True)
class Takeover:
    """What the restarted service answered, and when."""

    killed_at: datetime
    """When the service was killed (UTC)."""
    seconds: float
    """From the kill to the first retry that was not refused as in progress."""
    refused_at_restart: httpx2.Response
    """The first retry once the service was up again."""
    retry: httpx2.Response
    """The first retry not refused as in progress (or the last one, when none was taken over in time)."""
    history: list[dict]
    """History after the retry, newest first."""
    people_before: int
    """People in the Production tenant before the import started."""
    tenant: Tenant
    """Clio Operate's Production tenant, as the import left it."""


def _wait_until(happened: Callable[[], bool], failure: str) -> None:
    deadline = time.monotonic() + 30
    while not happened():
        if time.monotonic() > deadline:
            raise RuntimeError(failure)
        time.sleep(0.05)


def _post_ignoring_the_kill(url: str, headers: dict[str, str]) -> None:
    try:
        httpx2.post(url, json={}, headers=headers, timeout=30)
    except httpx2.HTTPError:
        pass  # the service was killed mid-answer


def kill_mid_import(
    database_url: str, aderant_url: str, *, give_up_after: float = 40, lease_runs_out: Callable[[], None] | None = None
) -> Takeover:
    """Import 82001 through a service whose contact create Clio Operate holds for `HELD` s, SIGKILL the
    service while it waits, start it again, and retry the import every 0.25 s until it is not
    refused as in progress (or `give_up_after` seconds have passed since the kill).

    With `lease_runs_out`, nothing waits for the dead service's claims to expire: once the first
    retry is refused and the contact create in flight has landed, it is called to end them (as the
    clock reaching their leases would), and the import is retried at once."""
    service_socket = bound_socket()  # the service's, kept open here so the restarted service serves on it too
    service_url = f"http://127.0.0.1:{port_of(service_socket)}"
    with service_socket, sandbox_on_loopback(aderant_url, service_url) as (sandbox, base):
        controls = sandbox.state.sandbox
        key = configure_organisation(database_url, sandbox, base)
        tenant = controls.tenants["production"]
        headers = {"Authorization": f"Bearer {tenant.mint_user_token('staff@sandbox.test')}"}
        url = f"{service_url}/api/v1/matters/{MATTER}/import"

        process = serve_service(database_url, key, service_socket)
        try:
            people = len(tenant.state.people)
            rule = controls.faults.add(PEOPLE, method="POST", delay=HELD, times=1)  # a contact create in flight
            threading.Thread(target=_post_ignoring_the_kill, args=(url, headers), daemon=True).start()
            _wait_until(lambda: rule.fired > 0, "the import did not reach Clio Operate")
            time.sleep(0.3)
            os.kill(process.pid, signal.SIGKILL)
            killed_at, killed_at_utc = time.monotonic(), datetime.now(UTC)
            process.wait(timeout=10)
        finally:
            stop_service(process)

        restarted = serve_service(database_url, key, service_socket)
        try:
            with httpx2.Client(base_url=service_url, headers=headers, timeout=30) as client:
                first = retry = client.post(f"/api/v1/matters/{MATTER}/import", json={})
                if lease_runs_out is not None:
                    _wait_until(
                        lambda: any(c.method == "POST" and c.path == PEOPLE and c.finished - c.started >= HELD for c in controls.calls.calls),
                        "the contact create in flight never landed",
                    )
                    lease_runs_out()
                while retry.status_code == 409 and IN_PROGRESS in retry.text and time.monotonic() - killed_at < give_up_after:
                    time.sleep(0.25)
                    retry = client.post(f"/api/v1/matters/{MATTER}/import", json={})
                took = time.monotonic() - killed_at
                history = client.get("/api/v1/history", params={"limit": 200}).json()["items"]
        finally:
            stop_service(restarted)
    return Takeover(killed_at_utc, took, first, retry, history, people, tenant)
