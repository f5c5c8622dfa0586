"""Signing in, as the application sees it: which portals may frame the sign-in page, which
environment a portal names, and the audit event of every sign-in and refusal.

Who is asking is decided in embed_auth; the pages pass its outcome here.
"""

from __future__ import annotations

from plugin.services import EnvironmentSettings, Services
from store.secrets import SecretBox

__all__ = ["environment_of_portal", "flow_secrets", "portal_origins", "sign_in_refused", "sign_in_succeeded"]


async def portal_origins(services: Services) -> list[str]:
    """Origins allowed to frame the sign-in page, before we know who is signing in."""
    return await services.db(services.store.all_portal_origins)


async def environment_of_portal(services: Services, origin: str) -> EnvironmentSettings | None:
    """The environment whose portal framed the page (for opaque tokens); None if no environment names it."""
    return await services.db(services.store.environment_by_portal_origin, origin)


def flow_secrets(services: Services) -> SecretBox:
    """What seals the standalone sign-in's flow cookie: the key the store encrypts secrets with."""
    return services.store.secrets


async def sign_in_succeeded(
    services: Services,
    *,
    organisation_id: int,
    actor: str,
    role: str,
    method: str,
    environment_id: int | None = None,
    provider: str | None = None,
) -> None:
    data = {"role": role, "method": method} | ({"provider": provider} if provider else {})
    await _audit(services, "sign_in.succeeded", organisation_id, environment_id, actor, data)


async def sign_in_refused(
    services: Services,
    *,
    reason: str,
    organisation_id: int | None,
    environment_id: int | None = None,
    actor: str | None = None,
    method: str | None = None,
    provider: str | None = None,
) -> None:
    """Audited in the organisation when it is known, so that its SIEM hears of it."""
    data = {"reason": reason} | ({"method": method} if method else {}) | ({"provider": provider} if provider else {})
    await _audit(services, "sign_in.refused", organisation_id, environment_id, actor, data)


async def _audit(
    services: Services, event: str, organisation_id: int | None, environment_id: int | None, actor: str | None,
    data: dict[str, str],
) -> None:
    await services.db(
        services.store.add_audit_event, event,
        organisation_id=organisation_id, environment_id=environment_id, actor=actor, data=data,
    )
