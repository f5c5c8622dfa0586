"""Each organisation's settings, kept in the service process between requests: its environments
(secrets decrypted once), and for each environment its mapping (checked and parsed once), its
default teams, the participant roles loaded for its work types and the work type names loaded.

They are kept per organisation with the settings version they were read at
(store/settings_version.py). Every write of them raises that version in its own transaction, on
whichever replica or `pms-sync` command made it; a request asks for the version first (one
primary-key read) and reloads what it finds stale. So a save is seen by every replica, and a request that finds nothing changed reads nothing else.

The version is asked at most once every `RECHECK_SECONDS` (configurable) per organisation, and at once after a save
this process committed (`store.settings_version.saves_here`): another replica's save (or a
`pms-sync` command's) is seen within that bound, this replica's own on its next request, and most
requests read nothing at all (a preview then reads the database once: its matter's import record).

An environment's mapping, teams and roles are read the first time a request needs them after a
change, and always at least as new as the version they are kept with. They are kept with the
environment settings handed out from the same read: a use case holding those settings gets the
mapping, teams and roles of the same version without asking for the version again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from clients.clio_modeller import type_names_from_json
from clients.clio_models import ParticipantRole
from plugin.errors import NotConfigured
from plugin.mapping import DEFAULT_MAPPING, Mapping
from plugin.mapping_document import InvalidMapping, from_document
from store.repository import EnvironmentSettings, Store
from store.settings_version import saves_here
from store.teams import DefaultTeamEntry

Roles = dict[str, ParticipantRole] | None  # a work type's roles by name; None when not loaded


@dataclass(frozen=True)
class EnvironmentConfiguration:
    """What previews and imports read of an environment besides its connection settings."""

    saved_mapping: Mapping | None  # None when the saved mapping no longer validates
    default_teams: tuple[DefaultTeamEntry, ...]  # every work type's, by team name
    roles: dict[str, dict[str, ParticipantRole]]  # work type → its loaded roles by name
    mapping_problem: str = ""  # why the saved mapping no longer validates
    work_type_names: dict[str, str] = field(default_factory=dict)  # system name → name, as loaded from the modeller

    @property
    def mapping(self) -> Mapping:
        """The mapping in force; NotConfigured when the saved one no longer validates."""
        if self.saved_mapping is None:
            raise NotConfigured(self.mapping_problem)
        return self.saved_mapping

    def teams_for(self, work_type: str) -> list[DefaultTeamEntry]:
        """The default teams of this work type and of every work type ("*"), by team name."""
        return [team for team in self.default_teams if team.work_type in (work_type, "*")]

    def roles_of(self, work_types: Collection[str]) -> dict[str, Roles]:
        return {work_type: self.roles.get(work_type) for work_type in work_types}


@dataclass
class OrganisationSettings:
    version: int | None
    environments: dict[int, EnvironmentSettings]  # in use, by id, in id order
    configurations: dict[int, EnvironmentConfiguration] = field(default_factory=dict)
    checked_at: float = float("-inf")  # when their version was last read (the cache's clock)
    saves_here: int = 0  # this process's saves of them by then (store.settings_version.saves_here)


RECHECK_SECONDS = 1.0
"""How long kept settings are used without asking for their version, unless told otherwise
(`Settings.settings_recheck_seconds`): how soon a save made by another replica or a `pms-sync`
command is seen."""


class SettingsCache:
    def __init__(self, store: Store, *, recheck: float = RECHECK_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self._store = store
        self._recheck = recheck
        self._clock = clock
        self._organisations: dict[int, OrganisationSettings] = {}

    async def organisation(self, organisation_id: int) -> OrganisationSettings:
        """The organisation's settings as of now (at most `recheck` seconds old, unless this process
        saved them since): no read when they were checked lately, one when they did not change."""
        kept = self._organisations.get(organisation_id)
        now, saves = self._clock(), saves_here(organisation_id)
        if kept is not None and kept.saves_here == saves and now - kept.checked_at < self._recheck:
            return kept
        fresh = await asyncio.to_thread(self._read_if_changed, organisation_id, kept.version if kept else None)
        current = fresh or kept
        if current is None:  # _read_if_changed reads them when none are kept
            raise RuntimeError("settings were neither kept nor read")
        current.checked_at, current.saves_here = now, saves
        self._organisations[organisation_id] = current
        return current

    async def configuration(self, env: EnvironmentSettings) -> EnvironmentConfiguration:
        """`env`'s mapping, default teams and roles, of the version `env` was read at when it came
        from this cache, else as of now."""
        kept = self._organisations.get(env.organisation_id)
        if kept is None or kept.environments.get(env.id) is not env:
            kept = await self.organisation(env.organisation_id)
        configuration = kept.configurations.get(env.id)
        if configuration is None:
            configuration = await asyncio.to_thread(self._read_configuration, env)
            kept.configurations[env.id] = configuration
        return configuration

    def _read_if_changed(self, organisation_id: int, kept_version: int | None) -> OrganisationSettings | None:
        """None when the kept settings are of the current version. The version is read first, so
        settings read after it are at least that new."""
        version = self._store.settings_version(organisation_id)
        if version is not None and version == kept_version:
            return None
        environments = self._store.environments(organisation_id)
        return OrganisationSettings(version, {env.id: env for env in environments})

    def _read_configuration(self, env: EnvironmentSettings) -> EnvironmentConfiguration:
        store = self._store
        record = store.mappings.latest(env.organisation_id, env.id)
        mapping: Mapping | None = DEFAULT_MAPPING
        problem = ""
        if record is not None:
            try:
                mapping = from_document(record.document)
            except InvalidMapping as exc:  # saved by a release that checked less: never import on a guess
                mapping = None
                problem = (
                    f"The saved mapping of {env.name} (version {record.version}) is no longer valid ({'; '.join(exc.problems)}): "
                    "ask your administrator to fix it in Settings → Mapping."
                )
        teams = tuple(sorted(store.teams.all(env.organisation_id, env.id), key=lambda t: t.team_name))
        rows = store.work_type_roles.all(env.organisation_id, env.id)
        roles = {row.work_type: {r.system_name: r for r in map(ParticipantRole.from_json, row.roles)} for row in rows}
        names = store.work_type_names.loaded(env.organisation_id, env.id)
        loaded_names = {node.system_name: node.name for node in type_names_from_json(names.types if names else {}) if node.name}
        return EnvironmentConfiguration(mapping, teams, roles, problem, loaded_names)
