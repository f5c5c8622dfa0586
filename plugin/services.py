"""What the use cases need from the outside, gathered once per app."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable, ParamSpec, TypeVar

from plugin.connections import Connections
from plugin.errors import NotConfigured, NotFound
from plugin.telemetry import NoTelemetry, Telemetry
from plugin.mapping import DEFAULT_MAPPING, InvalidMapping, Mapping, from_document
from store.mappings import MappingStore
from store.repository import EnvironmentSettings, Store

__all__ = ["EnvironmentSettings", "Services"]

P = ParamSpec("P")
T = TypeVar("T")


@dataclass
class Services:
    store: Store
    connections: Connections
    concurrency: int = 64
    # How long a create whose answer was lost (timed out) may still land in Clio Operate: until
    # then an import does not send it again (PMS_SYNC_IMPORT_SETTLE_SECONDS).
    settle: timedelta = timedelta(seconds=30)
    telemetry: Telemetry = field(default_factory=NoTelemetry)

    async def db(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a (blocking) store call off the event loop."""
        return await asyncio.to_thread(fn, *args, **kwargs)

    async def mapping(self, env: EnvironmentSettings) -> Mapping:
        """The environment's newest saved mapping, else the built-in default."""
        record = await self.db(MappingStore(self.store.engine).latest, env.organisation_id, env.id)
        if record is None:
            return DEFAULT_MAPPING
        try:
            return from_document(record.document)
        except InvalidMapping as exc:  # saved by a release that checked less: never import on a guess
            raise NotConfigured(
                f"The saved mapping of {env.name} (version {record.version}) is no longer valid ({'; '.join(exc.problems)}): "
                "ask your administrator to fix it in Settings → Mapping."
            ) from None

    async def environments(self, organisation_id: int) -> list[EnvironmentSettings]:
        return await self.db(self.store.environments, organisation_id)

    async def environment(self, organisation_id: int, environment_id: int | None, fallback: int | None = None) -> EnvironmentSettings:
        """The environment asked for, else the signed-in one, else the organisation's default."""
        environments = await self.environments(organisation_id)
        if environment_id is not None:
            chosen = next((e for e in environments if e.id == environment_id), None)
            if chosen is None:
                raise NotFound("That environment does not exist in your organisation: pick one from the switcher.")
            return chosen
        usable = [e for e in environments if e.usable]
        if not usable:
            raise NotConfigured(
                "PMS Sync is not configured for your organisation yet: ask your administrator to set up a connection."
            )
        by_id = {e.id: e for e in usable}
        if fallback in by_id:
            return by_id[fallback]
        return next((e for e in usable if e.is_default), usable[0])
