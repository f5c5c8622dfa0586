"""Who is asking, for one HTTP request: a Bearer token (scripts, workflows) or a session cookie."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from starlette.requests import Request

from clients.errors import RemoteError
from embed_auth.environment_access import EnvironmentAccess
from embed_auth.host_token import HostTokenVerifier
from embed_auth.portal_access import RECHECK, PortalRefused
from embed_auth.principal import Principal
from embed_auth.sessions import SessionManager, principal_of
from store.clock import utcnow
from store.repository import EnvironmentSettings, SessionRecord

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD"})


@dataclass(frozen=True)
class Caller:
    principal: Principal
    session: SessionRecord | None  # None when the caller sent a Bearer token
    key: str  # names the session or token (a hash), for what is remembered per caller

    async def principal_in(self, access: EnvironmentAccess, env: EnvironmentSettings, *, audit: bool = True) -> Principal:
        """Who this caller is in `env` (see embed_auth.environment_access)."""
        return await access.principal_in(self.principal, env, caller_key=self.key, audit=audit)


class Authenticator:
    """Resolves callers; verified Bearer tokens are remembered for `bearer_ttl` seconds so each API
    call does not cost a round trip to Clio Operate; then the token and the caller's access
    (embed_auth.portal_access) are checked again, so a role taken away counts within that time.

    A browser session signed in through Clio Operate is decided again once it is `session_recheck`
    old (once per session and interval, whichever replica serves it): its user's member role, else
    their Clio Operate roles read by impersonation. Refused, the session ends and the refusal is
    raised; when their roles cannot be read, the session ends at the next page (a form or an import
    being sent goes through, not lost) and the widget's sign-in decides.
    A tenant not answering leaves the session as it was until the next interval."""

    def __init__(
        self,
        verifier: HostTokenVerifier,
        sessions: SessionManager,
        access: EnvironmentAccess,
        *,
        bearer_ttl: float = 60.0,
        session_recheck: timedelta = RECHECK,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.verifier = verifier
        self.sessions = sessions
        self.access = access
        self._ttl = bearer_ttl
        self._recheck = session_recheck
        self._clock = clock
        self._now = now
        self._bearer: dict[str, tuple[float, Principal]] = {}

    async def caller(self, request: Request, *, environment_hint: EnvironmentSettings | None = None) -> Caller | None:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            key = _digest("bearer", token.strip())
            return Caller(await self._bearer_principal(key, token.strip(), environment_hint), None, key)
        record = await self.sessions.load(request)
        if record is not None and record.environment_id is not None:
            record = await self._rechecked(request, record)
        return Caller(principal_of(record), record, _digest("session", record.csrf_token)) if record else None

    async def _rechecked(self, request: Request, record: SessionRecord) -> SessionRecord | None:
        """The portal session as decided again when it is due; None when it has ended."""
        now = self._now()
        due_before = now - self._recheck
        if record.checked_at is not None and record.checked_at >= due_before:
            return record
        if not await self.sessions.claim_check(request, due_before=due_before, now=now):
            return record  # another request is deciding it
        try:
            role = await self.access.recheck(principal_of(record))
        except PortalRefused:
            await self.sessions.end(request)
            raise
        except RemoteError as exc:
            log.warning("access of %s not decided again (%s): the session stays as it was", record.user_name, exc)
            return record
        if role is None:
            if request.method not in SAFE_METHODS:  # a form or an import being sent is not lost:
                await self.sessions.reopen_check(request)  # the next page the widget opens decides
                return record
            await self.sessions.end(request)
            return None
        if role != record.role:
            await self.sessions.set_role(request, role)
            record = dataclasses.replace(record, role=role)
        return record

    async def _bearer_principal(self, key: str, token: str, hint: EnvironmentSettings | None) -> Principal:
        now = self._clock()
        cached = self._bearer.get(key)
        if cached and cached[0] > now:
            return cached[1]
        principal = await self.verifier.verify(token, environment_hint=hint)
        await self.sessions.remember_name(principal)  # once per `bearer_ttl`, not per call
        self._bearer = {k: v for k, v in self._bearer.items() if v[0] > now}
        self._bearer[key] = (now + self._ttl, principal)
        return principal


def _digest(kind: str, secret: str) -> str:
    return kind + ":" + hashlib.sha256(secret.encode()).hexdigest()
