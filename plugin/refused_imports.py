"""Imports refused before they began (a matter number or request that cannot be read), recorded
in History like every other attempt, with the matter number as far as it can be shown."""

from __future__ import annotations

from clients.tracing import current_trace_id
from plugin.importer import Actor
from plugin.services import Services
from store.imports import Attempt
from store.repository import EnvironmentSettings

SHOWN_LENGTH = 50  # the width of the stored matter number


def shown_matter_number(value: str) -> str:
    """``value`` as History can hold and show it: unprintable characters as �, cut to fit."""
    shown = "".join(c if c.isprintable() else "\ufffd" for c in value)
    return shown if len(shown) <= SHOWN_LENGTH else shown[: SHOWN_LENGTH - 1] + "…"


async def refuse_import(services: Services, env: EnvironmentSettings, actor: Actor, matter_number: str, reason: str) -> int:
    """Record the refusal (and its audit event); the History id."""
    attempt = Attempt(
        actor.organisation_id, env.id, None, shown_matter_number(matter_number), actor.user_name, "manual", current_trace_id()
    )
    return await services.db(services.store.imports.refuse, attempt, reason)
