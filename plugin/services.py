"""What the use cases need from the outside, gathered once per app."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import ParamSpec, TypeVar

from plugin.environment_clients import EnvironmentClients
from plugin.errors import NotConfigured, NotFound
from plugin.mapping import Mapping
from plugin.remote_waits import RemoteWaits
from plugin.settings_cache import RECHECK_SECONDS, EnvironmentConfiguration, SettingsCache
from plugin.telemetry import NoTelemetry, Telemetry
from store.repository import EnvironmentSettings, Store

__all__ = ["EnvironmentSettings", "Services"]

P = ParamSpec("P")
T = TypeVar("T")


@dataclass
class Services:
    store: Store
    remotes: EnvironmentClients
    concurrency: int = 64
    # How long a create whose answer was lost (timed out) may still land in Clio Operate: until
    # then an import does not send it again (PMS_SYNC_IMPORT_SETTLE_SECONDS).
    settle: timedelta = timedelta(seconds=30)
    telemetry: Telemetry = field(default_factory=NoTelemetry)
    # How long kept settings are used before their version is read again (PMS_SYNC_SETTINGS_RECHECK_SECONDS).
    settings_recheck: float = RECHECK_SECONDS
    settings_cache: SettingsCache = field(init=False, repr=False)
    waits: RemoteWaits = field(default_factory=RemoteWaits, repr=False)

    def __post_init__(self) -> None:
        self.settings_cache = SettingsCache(self.store, recheck=self.settings_recheck)

    async def db(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a (blocking) store call off the event loop."""
        return await asyncio.to_thread(fn, *args, **kwargs)

    async def configuration(self, env: EnvironmentSettings) -> EnvironmentConfiguration:
        """The environment's mapping, default teams and loaded roles (plugin/settings_cache.py)."""
        return await self.settings_cache.configuration(env)

    async def mapping(self, env: EnvironmentSettings) -> Mapping:
        """The environment's newest saved mapping, else the built-in default."""
        return (await self.configuration(env)).mapping

    async def environments(self, organisation_id: int) -> list[EnvironmentSettings]:
        """The organisation's environments in use, as of now (plugin/settings_cache.py)."""
        return list((await self.settings_cache.organisation(organisation_id)).environments.values())

    async def environment(
        self,
        organisation_id: int,
        environment_id: int | None,
        fallback: int | None = None,
        *,
        environments: list[EnvironmentSettings] | None = None,
    ) -> EnvironmentSettings:
        """The environment asked for, else the signed-in one, else the organisation's default;
        among `environments` when the request has just read them, else as of now."""
        if environments is None:
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
