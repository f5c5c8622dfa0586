"""Test connection: each hop from PMS Sync to the remote systems of one environment, tried
separately, with its latency and, when it fails, the likely fix."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, TypeVar

from clients.errors import (
    RemoteAuthError,
    RemoteError,
    RemoteRejected,
    RemoteTimeout,
    RemoteUnavailable,
    RemoteUnreachable,
)
from plugin.connections_admin import environment_settings, is_relay
from plugin.errors import NotConfigured
from plugin.services import EnvironmentSettings, Services
from store.environments import LastCheck

T = TypeVar("T")

AGENT_REACHED = "Aderant agent reached"
DATABASE = "Aderant database answering"
TOKEN = "Clio Operate token obtained"
API = "Clio Operate API answering"

Outcome = Literal["ok", "failed", "skipped"]


@dataclass(frozen=True)
class Hop:
    """One step from PMS Sync to a remote system, as Test connection found it."""

    label: str
    outcome: Outcome
    message: str
    fix: str = ""  # the likely fix, when it failed
    latency_ms: int | None = None
    summary: str = ""  # when it failed: a few words for the Connections list


@dataclass(frozen=True)
class ConnectionCheck:
    environment: str
    hops: tuple[Hop, ...]

    @property
    def ok(self) -> bool:
        return all(hop.outcome == "ok" for hop in self.hops)

    @property
    def summary(self) -> str:
        """The result in a few words: every hop answered, or what the first failure was."""
        failed = next((hop for hop in self.hops if hop.outcome == "failed"), None)
        if failed is None:
            return f"All {len(self.hops)} hops answered"
        return failed.summary or f"{failed.label}: failed"


async def check_connection(
    services: Services, organisation_id: int, environment_id: int, *, checked_by: str
) -> ConnectionCheck:
    """Each hop separately, with its latency: agent → its database, and token → API, concurrently.
    The result is kept as the environment's last Test connection, shown in the Connections list."""
    env = await environment_settings(services, organisation_id, environment_id)
    aderant, clio = await asyncio.gather(_aderant_hops(services, env), _clio_hops(services, env))
    check = ConnectionCheck(env.name, (*aderant, *clio))
    last = LastCheck(datetime.now(UTC), check.ok, check.summary, checked_by)
    await services.db(services.store.connections.record_check, organisation_id, environment_id, last)
    return check


async def _aderant_hops(services: Services, env: EnvironmentSettings) -> tuple[Hop, Hop]:
    via_relay = is_relay(env.agent_url, env.relay_key_name)
    label = AGENT_REACHED + (" through Azure Relay" if via_relay else "")
    try:
        agent = services.remotes.agent(env)
    except NotConfigured:
        return _not_configured(label, "the Aderant agent URL and key", "Aderant agent"), _skipped(DATABASE)
    health, reached = await _timed(label, "relay" if via_relay else "agent", agent.check_health)
    if health is None:
        return reached, _skipped(DATABASE)
    if health.database_ok:
        database = Hop(DATABASE, "ok", "The agent's database answered its health check.", latency_ms=reached.latency_ms)
    else:
        database = Hop(
            DATABASE,
            "failed",
            f"The agent runs, but its database does not answer ({health.database}).",
            "Check that the Aderant SQL Server is running and that the agent's SQL login can sign in; "
            "the agent's log on the firm's server says more.",
            reached.latency_ms,
            "Aderant database not answering",
        )
    return reached, database


async def _clio_hops(services: Services, env: EnvironmentSettings) -> tuple[Hop, Hop]:
    try:
        clio = services.remotes.clio(env)
    except NotConfigured:
        return _not_configured(TOKEN, "the Clio Operate API URL, client ID and client secret", "Clio Operate"), _skipped(API)
    _, token = await _timed(TOKEN, "token", clio.check_token)
    if token.outcome != "ok":
        return token, _skipped(API)
    _, api = await _timed(API, "api", clio.work_type_tree)
    return token, api


async def _timed(label: str, hop: str, call: Callable[[], Awaitable[T]]) -> tuple[T | None, Hop]:
    """Run one hop's call: its result (None if it failed) and the hop as reported."""
    started = time.perf_counter()
    try:
        result = await call()
    except RemoteError as exc:
        summary = f"{SYSTEMS[hop]} {SUMMARIES[_kind(exc)]}"
        return None, Hop(label, "failed", str(exc), _fix(hop, exc), _ms(started), summary)
    return result, Hop(label, "ok", OK_MESSAGES[hop], latency_ms=_ms(started))


def _ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


def _not_configured(label: str, what: str, system: str) -> Hop:
    return Hop(
        label, "failed", f"Not tried: {what} are not filled in.", f"Fill in {what}, save, then test again.",
        summary=f"{system} not set up",
    )


def _skipped(label: str) -> Hop:
    return Hop(label, "skipped", "Not tried: the step before it failed.")


OK_MESSAGES = {
    "agent": "The agent answered with our key.",
    "relay": "The agent answered through the relay with our key.",
    "token": "The identity server gave PMS Sync a service token.",
    "api": "The API accepted the token and listed the work types.",
}

ERROR_KINDS: tuple[tuple[type[RemoteError], str], ...] = (
    (RemoteUnreachable, "unreachable"),
    (RemoteTimeout, "timeout"),
    (RemoteAuthError, "refused"),
    (RemoteUnavailable, "failing"),
    (RemoteRejected, "rejected"),
)

SYSTEMS = {
    "agent": "Aderant agent",
    "relay": "Aderant agent (through Azure Relay)",
    "token": "Clio Operate identity server",
    "api": "Clio Operate API",
}
SUMMARIES = {
    "unreachable": "not reachable",
    "timeout": "did not answer in time",
    "refused": "refused PMS Sync's credentials",
    "failing": "not reachable",  # a gateway's 502/503: nothing answers behind it
    "rejected": "rejected the request",
    "unexpected": "answered unexpectedly",
}

FIXES = {
    ("agent", "unreachable"): (
        "Check the Aderant agent URL, and that PMS Sync can connect to that host (DNS, firewall)."
    ),
    ("agent", "timeout"): (
        "Check that the agent is running, and that nothing between PMS Sync and the agent "
        "(firewall, proxy, relay) holds requests."
    ),
    ("agent", "refused"): "Check the Aderant agent key: it must be one of the keys the agent was started with.",
    ("relay", "refused"): (
        "A 401 from the agent means a wrong Aderant agent key; a 401 or 403 from the relay means a wrong "
        "SAS Rule Name or Azure Relay SAS Key, or a rule without the Send right."
    ),
    ("relay", "failing"): (
        "Check that the agent runs on the firm's server and listens on this hybrid connection; "
        "its log says why it is not connected."
    ),
    ("agent", "failing"): "Check that the agent is running; its log on the firm's server says why it failed.",
    ("token", "unreachable"): "Check the Clio Operate identity URL, and that PMS Sync can connect to that host.",
    ("token", "timeout"): "The identity server was too slow: try again, and check the identity URL if it persists.",
    ("token", "refused"): (
        "Check the client ID and client secret against the client registered in Clio Operate "
        "(Admin > Integrations > Manage Identity Service)."
    ),
    ("token", "rejected"): "Check that the client may use client credentials with the sharedo scope.",
    ("token", "failing"): (
        "Check the Clio Operate identity URL: the tenant's identity server, the issuer of its tokens."
    ),
    ("api", "unreachable"): "Check the Clio Operate API URL, and that PMS Sync can connect to that host.",
    ("api", "timeout"): "The API was too slow: try again, and check the Clio Operate API URL if it persists.",
    ("api", "refused"): (
        "The API refused the token: check that the API URL is the same tenant as the identity URL, "
        "and that the client is allowed to use the API."
    ),
    ("api", "failing"): "Check the Clio Operate API URL; if it is right, Clio Operate is failing: try again later.",
}
UNEXPECTED = {
    "agent": "Check that the Aderant agent URL points at the PMS Sync agent (its /v1/health should answer).",
    "token": "Check that the Clio Operate identity URL points at the tenant's identity server.",
    "api": "Check that the Clio Operate API URL points at the Clio Operate tenant.",
}


def _fix(hop: str, error: RemoteError) -> str:
    """The likely fix for a failed hop; through the relay, the agent's advice applies unless the relay has its own."""
    kind = _kind(error)
    hops = (hop, "agent") if hop == "relay" else (hop,)
    return next((FIXES[h, kind] for h in hops if (h, kind) in FIXES), UNEXPECTED[hops[-1]])


def _kind(error: RemoteError) -> str:
    return next((kind for error_type, kind in ERROR_KINDS if isinstance(error, error_type)), "unexpected")
