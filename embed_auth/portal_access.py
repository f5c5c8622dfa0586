"""Who may use PMS Sync from the portal (user guide §1 and §9).

A portal user's role comes from, in order:
1. their member record (Settings → Members), matched by e-mail / user name, lower-cased: its role
   (administrator or staff) wins over their Clio Operate roles, and a member with no role is refused;
2. their Clio Operate roles: an administrator role makes them an administrator; otherwise a staff
   role makes them staff. The staff roles are the environment's, else the organisation's; when
   neither lists any, every portal user of the tenant is staff (the behaviour before staff roles).

A refusal is audited (so the firm's SIEM hears of it), at most once per user, environment and kind
of refusal per `quiet` seconds, so that a widget reloaded again and again does not flood History.
The hold-back is kept in the database (the last such audit row), so replicas and restarts share it.

The decision is made at each sign-in, and again at least every RECHECK for open browser sessions
(embed_auth.callers) and API tokens (their verification is remembered for a minute; who they are in
another environment for RECHECK, embed_auth.environment_access).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, NoReturn, TypedDict

from embed_auth.principal import ADMINISTRATOR, STAFF, AccessRefused
from store.clock import utcnow
from store.repository import EnvironmentSettings, Store

log = logging.getLogger(__name__)

REFUSED_EVENT = "sign_in.refused"
REFUSED = (
    "Sign-in refused: your account is not a member of the organisation, or has no role on PMS Sync — "
    "ask your administrator"
)


RECHECK = timedelta(minutes=5)
TAKES_EFFECT = (
    f"A change of roles or members takes effect at each person's next sign-in, and within "
    f"{int(RECHECK.total_seconds()) // 60} minutes in open browser sessions and for API tokens; saving roles or "
    "members in Settings also ends the browser sessions the change concerns at once."
)  # said in Settings (Connections, Members) and the README


def refusal(contact: str) -> str:
    """The §9 refusal, naming who to ask when the organisation has said (Settings → Members)."""
    return f"{REFUSED}: {contact}" if contact else REFUSED


class _AuditedRefusal(TypedDict):
    """Where a refusal happened and who met it, as its audit event records them."""

    organisation_id: int
    environment_id: int
    actor: str
    data: dict[str, Any]


class PortalRefused(AccessRefused):
    """The portal user may not use PMS Sync. Already audited when raised by PortalAccess.refuse."""


def clio_role(user_roles: tuple[str, ...], admin_roles: tuple[str, ...], staff_roles: tuple[str, ...]) -> str | None:
    """The role Clio Operate roles give: administrator, staff, or None (no PMS Sync role)."""
    held = {r.casefold() for r in user_roles}
    if held & {r.casefold() for r in admin_roles}:
        return ADMINISTRATOR
    if not staff_roles or held & {r.casefold() for r in staff_roles}:
        return STAFF
    return None


class PortalAccess:
    def __init__(
        self, store: Store, *, quiet: timedelta = timedelta(minutes=10), clock: Callable[[], datetime] = utcnow
    ) -> None:
        self._store = store
        self._members = store.members
        self._quiet = quiet
        self._clock = clock

    async def role(self, env: EnvironmentSettings, user_name: str, user_roles: tuple[str, ...]) -> str:
        """The user's role in `env`, or PortalRefused (audited)."""
        member = await asyncio.to_thread(self.member_role, env.organisation_id, user_name)
        if member is not None:
            chosen = member[0]
        else:
            chosen = clio_role(user_roles, *await self.roles_of(env))
        if chosen is None:
            await self.refuse(env, user_name, "member without a role" if member else "no staff role in Clio Operate")
        return chosen

    async def roles_of(self, env: EnvironmentSettings) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """`env`'s administrator and staff roles, each the organisation's when `env` lists none."""
        admin_roles = env.admin_roles or await asyncio.to_thread(self._store.admin_roles, env.organisation_id)
        staff_roles = env.staff_roles or await asyncio.to_thread(self._store.staff_roles, env.organisation_id)
        return admin_roles, staff_roles

    def member_role(self, organisation_id: int, user_name: str) -> tuple[str | None] | None:
        """(role,) of the organisation's member with this e-mail / user name, or None if there is none."""
        for member in self._members.memberships(user_name.strip()):
            if member.organisation_id == organisation_id:
                return (member.role,)
        return None

    async def refuse(
        self,
        env: EnvironmentSettings,
        user_name: str,
        why: str,
        *,
        reason: str | None = None,
        event: str = REFUSED_EVENT,
        data: dict[str, Any] | None = None,
        audit: bool = True,
        held_back: bool = True,
    ) -> NoReturn:
        """Raise PortalRefused with `reason`, by default the §9 refusal naming the organisation's
        contact; audited as `event` (with `data`) unless `audit` is false (a question, not an
        attempt) or, `held_back`, this user met the same refusal in `env` less than `quiet` ago."""
        message = reason or refusal(await asyncio.to_thread(self._store.access_contact, env.organisation_id))
        if audit:
            row = {"reason": message, "why": why, **(data if data is not None else {"method": "portal"})}
            who = _AuditedRefusal(organisation_id=env.organisation_id, environment_id=env.id, actor=user_name, data=row)
            if not held_back:
                await asyncio.to_thread(self._store.add_audit_event, event, **who)
            elif not await asyncio.to_thread(
                self._store.add_audit_event_unless_recent, event, **who, now=self._clock(), within=self._quiet
            ):
                raise PortalRefused(message)  # audited less than `quiet` ago
            log.warning("%s in environment %s for %s: %s", event, env.id, user_name, why)
        raise PortalRefused(message)
