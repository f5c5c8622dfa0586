"""Each environment is its own security boundary: a user's rights in an environment come from that
environment's own Clio Operate tenant.

A user signed in through environment A who acts on environment B is looked up in B's tenant by the
identity the tenants share, their user name (an e-mail address): B's ODS people search, as B's
service client, must find exactly one portal user with that e-mail (reference/sharedo-api.md §4.6:
users are people, the user id is their person id). Their role in B is then read from B: the
service client impersonates them (`Impersonate.Specified`, with the identity provider they signed
in with) and B's userInfo gives their roles there. When B will not impersonate them (no provider
known, the client lacks dynamic impersonation, or B's identity claim differs), their roles in B
cannot be established, so B grants them staff at most, and nothing when B lists staff roles (they
cannot be shown to hold one). Someone B does not know is refused, and so is someone whom B's staff
roles or the organisation's members leave without a role (embed_auth.portal_access).

Members signed in outside Clio Operate (OpenID Connect) keep their membership role: it is granted
for the whole organisation by an administrator of its default environment (see `views.common`).

Answers are cached per caller (session or token) and environment for `ttl` seconds (RECHECK), so a
page does not pay a remote call per request; remote failures are not cached. Refusals are audited
as `access.refused` with the same hold-back as the sign-in's (PortalAccess.refuse), and a refusal
for want of a role says the same as the sign-in's, naming who to ask.

`recheck` decides again, for an open browser session, whether the environment it signed in through
still lets its user in (embed_auth.callers).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, NoReturn

from clients.errors import RemoteAuthError, RemoteRejected
from embed_auth.portal_access import RECHECK, PortalAccess, clio_role
from embed_auth.principal import STAFF, Principal
from store.repository import EnvironmentSettings, Store

if TYPE_CHECKING:
    from clients.clio_operate import ClioOperateClient

log = logging.getLogger(__name__)

REFUSED_EVENT = "access.refused"


def not_known(env: EnvironmentSettings) -> str:
    return f"Your account is not known in the {env.name} tenant, so you cannot use {env.name}. Ask your administrator."


def not_unique(env: EnvironmentSettings, count: int) -> str:
    return (
        f"{count} users of the {env.name} tenant have your e-mail address, so PMS Sync cannot tell which one is you "
        f"and you cannot use {env.name}. Ask your administrator."
    )


@dataclass(frozen=True)
class _Refusal:
    why: str  # for the audit
    reason: str | None = None  # what the user is told; None: the §9 refusal, naming who to ask


class EnvironmentAccess:
    def __init__(
        self,
        store: Store,
        clio: Callable[[EnvironmentSettings], ClioOperateClient],
        *,
        ttl: float = RECHECK.total_seconds(),
        clock: Callable[[], float] = time.monotonic,
        portal: PortalAccess | None = None,
    ) -> None:
        self._store = store
        self._clio = clio
        self._ttl = ttl
        self._clock = clock
        self._cache: dict[tuple[str, int], tuple[float, Principal | _Refusal]] = {}
        self._portal = portal or PortalAccess(store)

    async def principal_in(
        self, principal: Principal, env: EnvironmentSettings, *, caller_key: str, audit: bool = True
    ) -> Principal:
        """Who `principal` is in `env`: themselves in the environment they signed in through (and
        for members signed in outside Clio Operate), else as `env`'s tenant knows them. Raises
        AccessRefused (audited unless `audit` is false: a question, not an attempt) when it does
        not know them."""
        if principal.environment_id is None or principal.environment_id == env.id:
            return principal
        key = (caller_key, env.id)
        now = self._clock()
        cached = self._cache.get(key)
        if cached is None or cached[0] <= now:
            answer = await self._look_up(principal, env)
            self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
            self._cache[key] = cached = (now + self._ttl, answer)
        answer = cached[1]
        if isinstance(answer, _Refusal):
            await self._refuse(principal, env, answer, audit=audit)
        return answer

    async def refuse(self, principal: Principal, env: EnvironmentSettings, reason: str) -> None:
        """Refuse `principal` an action in `env` with `reason`: audited each time (an attempt to
        act, e.g. to save a setting), then raised."""
        await self._refuse(principal, env, _Refusal(reason, reason), held_back=False)

    async def _refuse(
        self, principal: Principal, env: EnvironmentSettings, refusal: _Refusal, *, audit: bool = True, held_back: bool = True
    ) -> NoReturn:
        await self._portal.refuse(
            env, principal.user_name, refusal.why, reason=refusal.reason, event=REFUSED_EVENT, audit=audit,
            held_back=held_back, data={"signed_in_environment_id": principal.environment_id},
        )

    async def recheck(self, principal: Principal) -> str | None:
        """The role `principal`, of an open browser session, has now in the environment they signed
        in through: their member role, else what their Clio Operate roles there (read by
        impersonation) give. None when that cannot be decided without a new portal sign-in (their
        roles cannot be read, or the environment is gone). PortalRefused (audited) when none."""
        env = None
        if principal.environment_id is not None:
            env = await asyncio.to_thread(self._store.environment, principal.organisation_id, principal.environment_id)
        if env is None:
            return None
        roles: tuple[str, ...] = ()
        if await asyncio.to_thread(self._portal.member_role, env.organisation_id, principal.user_name) is None:
            read = await self._roles_there(self._clio(env), principal, env, principal.user_id)
            if read is None:
                return None
            roles = read
        return await self._portal.role(env, principal.user_name, roles)

    async def _look_up(self, principal: Principal, env: EnvironmentSettings) -> Principal | _Refusal:
        """The principal in `env`, or why it does not let them in."""
        email = principal.user_name.strip()
        if "@" not in email:
            return _Refusal("not known in the tenant", not_known(env))
        clio = self._clio(env)
        found = [c for c in await clio.search_contacts(email, kinds=("person",)) if c.is_user and c.has_email(email)]
        if len(found) != 1:
            if not found:
                return _Refusal("not known in the tenant", not_known(env))
            return _Refusal("several users with the e-mail address", not_unique(env, len(found)))
        person = found[0]
        member = await asyncio.to_thread(self._portal.member_role, env.organisation_id, principal.user_name)
        role = member[0] if member is not None else await self._role(clio, principal, env, person.id)
        if role is None:
            return _Refusal("member without a role" if member else "no staff role in Clio Operate")
        return dataclasses.replace(
            principal,
            user_id=person.id,
            display_name=person.name or principal.display_name,
            environment_id=env.id,
            role=role,
        )

    async def _role(self, clio: ClioOperateClient, principal: Principal, env: EnvironmentSettings, person_id: str) -> str | None:
        """Their role from their roles in `env`'s tenant; when those cannot be read, staff if `env`
        admits every portal user as staff, else none."""
        admin_roles, staff_roles = await self._portal.roles_of(env)
        roles = await self._roles_there(clio, principal, env, person_id)
        if roles is None:
            return None if staff_roles else STAFF
        return clio_role(roles, admin_roles, staff_roles)

    async def _roles_there(
        self, clio: ClioOperateClient, principal: Principal, env: EnvironmentSettings, person_id: str
    ) -> tuple[str, ...] | None:
        """Their Clio Operate roles in `env`'s tenant, read by impersonating them; None when unreadable."""
        if not principal.identity_provider:
            return None
        try:
            info = await clio.impersonated_user_info(principal.user_name, principal.identity_provider)
        except (RemoteRejected, RemoteAuthError) as exc:
            log.info("roles of %s in environment %s not readable (%s)", principal.user_name, env.id, exc)
            return None
        if info.user_id != person_id:  # impersonation found someone else: trust neither
            return None
        return info.roles
