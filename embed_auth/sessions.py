"""Browser sessions and CSRF.

The session cookie must work inside the portal's cross-site iframe, so it is Secure,
SameSite=None and Partitioned (CHIPS). Only a hash of its value is stored.
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
from datetime import datetime, timedelta

from starlette.requests import Request
from starlette.responses import Response

from embed_auth.principal import Principal
from store.clock import utcnow
from store.repository import SessionRecord, Store

COOKIE = "pms_sync_session"
CSRF_FIELD = "csrf_token"


class SessionManager:
    def __init__(self, store: Store, *, lifetime: timedelta, secure: bool = True) -> None:
        self._store = store
        self._lifetime = lifetime
        self._secure = secure

    async def open(self, response: Response, principal: Principal) -> SessionRecord:
        token = secrets.token_urlsafe(32)
        record = SessionRecord(
            organisation_id=principal.organisation_id,
            environment_id=principal.environment_id,
            user_id=principal.user_id,
            user_name=principal.user_name,
            display_name=principal.display_name,
            role=principal.role,
            identity_provider=principal.identity_provider,
            csrf_token=secrets.token_urlsafe(32),
            expires_at=utcnow() + self._lifetime,
            checked_at=utcnow(),  # decided just now, by the sign-in
        )
        await asyncio.to_thread(self._store.create_session, token, record)
        await self.remember_name(principal)
        response.headers.append("set-cookie", self._cookie(token, int(self._lifetime.total_seconds())))
        return record

    async def remember_name(self, principal: Principal) -> None:
        """Keep the display name the user signs in with, for History to show."""
        people = self._store.people
        await asyncio.to_thread(people.remember, principal.organisation_id, principal.user_name, principal.display_name)

    def _cookie(self, value: str, max_age: int) -> str:
        """Written by hand: the standard library learns the Partitioned attribute only in Python 3.14."""
        attributes = [f"{COOKIE}={value}", "Path=/", f"Max-Age={max_age}", "HttpOnly"]
        attributes += ["Secure", "SameSite=None", "Partitioned"] if self._secure else ["SameSite=Lax"]
        return "; ".join(attributes)

    async def load(self, request: Request) -> SessionRecord | None:
        token = request.cookies.get(COOKIE)
        if not token:
            return None
        return await asyncio.to_thread(self._store.session, token)

    async def claim_check(self, request: Request, *, due_before: datetime, now: datetime) -> bool:
        """Whether this request is the one to decide the session's access again (see Store.claim_session_check)."""
        token = request.cookies.get(COOKIE)
        return bool(token) and await asyncio.to_thread(
            self._store.claim_session_check, token or "", due_before=due_before, now=now
        )

    async def reopen_check(self, request: Request) -> None:
        """Let the session's next request decide its access again (see Store.reopen_session_check)."""
        token = request.cookies.get(COOKIE)
        if token:
            await asyncio.to_thread(self._store.reopen_session_check, token)

    async def set_role(self, request: Request, role: str) -> None:
        token = request.cookies.get(COOKIE)
        if token:
            await asyncio.to_thread(self._store.set_session_role, token, role)

    async def end(self, request: Request) -> None:
        """End the request's session (its cookie then names none)."""
        token = request.cookies.get(COOKIE)
        if token:
            await asyncio.to_thread(self._store.delete_session, token)

    async def close(self, request: Request, response: Response) -> None:
        await self.end(request)
        response.headers.append("set-cookie", self._cookie("", 0))


def principal_of(record: SessionRecord) -> Principal:
    return Principal(
        user_id=record.user_id,
        user_name=record.user_name,
        display_name=record.display_name,
        organisation_id=record.organisation_id,
        environment_id=record.environment_id,
        role=record.role,
        identity_provider=record.identity_provider,
    )


def csrf_ok(record: SessionRecord, submitted: str | None) -> bool:
    return bool(submitted) and hmac.compare_digest(record.csrf_token, submitted or "")
