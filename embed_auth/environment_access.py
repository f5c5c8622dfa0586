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

Answers are cached per caller (session or token) and environment for `ttl` seconds, so a page does
not pay a remote call per request; remote failures are not cached.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from clients.errors import RemoteAuthError, RemoteRejected
from embed_auth.portal_access import REFUSED, PortalAccess, clio_role
from embed_auth.principal import STAFF, AccessRefused, Principal
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


class EnvironmentAccess:
    def __init__(
        self,
        store: Store,
        clio: Callable[[EnvironmentSettings], ClioOperateClient],
        *,
        ttl: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._clio = clio
        self._ttl = ttl
        self._clock = clock
        self._cache: dict[tuple[str, int], tuple[float, Principal | str]] = {}
        self._portal = PortalAccess(store)

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
        if isinstance(cached[1], str):
            if not audit:
                raise AccessRefused(cached[1])
            await self.refuse(principal, env, cached[1])
        assert isinstance(cached[1], Principal)
        return cached[1]

    async def refuse(self, principal: Principal, env: EnvironmentSettings, reason: str) -> None:
        """Audit the refusal in `env` (so its SIEM hears of it), then raise it."""
        await asyncio.to_thread(
            self._store.add_audit_event,
            REFUSED_EVENT,
            organisation_id=env.organisation_id,
            environment_id=env.id,
            actor=principal.user_name,
            data={"reason": reason, "signed_in_environment_id": principal.environment_id},
        )
        log.warning("access to environment %s refused for %s: %s", env.id, principal.user_name, reason)
        raise AccessRefused(reason)

    async def _look_up(self, principal: Principal, env: EnvironmentSettings) -> Principal | str:
        """The principal in `env`, or the reason it does not know them."""
        email = principal.user_name.strip()
        if "@" not in email:
            return not_known(env)
        clio = self._clio(env)
        found = [c for c in await clio.search_contacts(email, kinds=("person",)) if c.is_user and c.has_email(email)]
        if len(found) != 1:
            return not_known(env) if not found else not_unique(env, len(found))
        person = found[0]
        member = await asyncio.to_thread(self._portal.member_role, env.organisation_id, principal.user_name)
        role = member[0] if member is not None else await self._role(clio, principal, env, person.id)
        if role is None:
            return REFUSED
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
        unreadable = None if staff_roles else STAFF
        if not principal.identity_provider:
            return unreadable
        try:
            info = await clio.impersonated_user_info(principal.user_name, principal.identity_provider)
        except (RemoteRejected, RemoteAuthError) as exc:
            log.info("roles of %s in environment %s not readable (%s): staff at most", principal.user_name, env.id, exc)
            return unreadable
        if info.user_id != person_id:  # impersonation found someone else: trust neither
            return unreadable
        return clio_role(info.roles, admin_roles, staff_roles)
