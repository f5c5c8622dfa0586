"""Settings → Participant Roles: the roles each work type allows, loaded by an administrator.

Clio Operate lists a work type's roles only on modeller routes
(`/api/modeller/referenceData/participantRoles/for/{type}`), which refuse the service's
client-credentials token and need an administrator's portal session (jacquesonline/ShareDo-Tools
`server/auth.js` `tryAuth`, `server.js`); no public route for them is known. So an administrator
loads them here from a JSON file: the modeller's answer for one work type, or an object of work
type → such an answer (its shape: `clients/clio_modeller.py`). Preview, import, Default Teams and
Preview mapping check roles against what was loaded, and skip the check, with a warning saying so,
for a work type not loaded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from clients.clio_modeller import UnreadableDocument, read_participant_roles
from clients.clio_models import Json, ParticipantRole, WorkType
from clients.errors import RemoteError, answer_or_error
from plugin.display_names import named
from plugin.errors import InvalidDocument, NotFound
from plugin.mapping import concrete_work_types
from plugin.services import Services
from plugin.settings_cache import Roles
from store.repository import EnvironmentSettings
from store.work_type_roles import LoadedRolesRecord

MAX_DOCUMENT = 1024 * 1024
MAX_SOURCE = 200
WHERE_TO_LOAD = "an administrator can load them in Settings → Participant Roles"

def not_loaded(work_type: str, consequence: str = "roles were not checked") -> str:
    return f"The participant roles of {work_type} have not been loaded, so {consequence}: {WHERE_TO_LOAD}."


class InvalidRoles(InvalidDocument):
    """A roles document that does not validate; ``problems`` each start with the path of the value."""

    refusal = "The participant roles were not loaded"


@dataclass(frozen=True)
class LoadedRoles:
    work_type: str
    roles: tuple[ParticipantRole, ...]
    source: str
    loaded_by: str
    loaded_at: datetime


@dataclass
class RolesOverview:
    loaded: list[LoadedRoles]
    work_types: list[WorkType] | None  # concrete; None when Clio Operate did not answer
    warnings: list[str] = field(default_factory=list)

    @property
    def missing(self) -> list[str]:
        """Concrete work types whose roles are not loaded."""
        have = {entry.work_type for entry in self.loaded}
        return [t.system_name for t in self.work_types or () if t.system_name not in have]



def _loaded(row: LoadedRolesRecord) -> LoadedRoles:
    roles = tuple(ParticipantRole.from_json(role) for role in row.roles)
    return LoadedRoles(row.work_type, roles, row.source, row.loaded_by, row.loaded_at)


async def roles_of(services: Services, env: EnvironmentSettings, work_types: Collection[str]) -> dict[str, Roles]:
    """The loaded roles of each work type, by role name; None for a work type not loaded."""
    return (await services.configuration(env)).roles_of(work_types)


async def party_roles(services: Services, env: EnvironmentSettings) -> dict[str, list[str]]:
    """Each work type with loaded roles → the roles that take a person or an organisation."""
    loaded = (await services.configuration(env)).roles
    return {
        work_type: [r.system_name for r in roles.values() if r.takes("person") or r.takes("organisation")]
        for work_type, roles in sorted(loaded.items())
    }


async def overview(services: Services, env: EnvironmentSettings) -> RolesOverview:
    rows, tree = await asyncio.gather(
        services.db(services.store.work_type_roles.all, env.organisation_id, env.id),
        answer_or_error(services.remotes.clio(env).work_type_tree()),
    )
    page = RolesOverview([_loaded(row) for row in rows], None)
    if isinstance(tree, RemoteError):
        page.warnings.append(f"The work types could not be listed, so the page cannot say which still need roles: {tree}")
    else:
        page.work_types = named(concrete_work_types(tree), (await services.configuration(env)).work_type_names)
    return page


async def load_roles(
    services: Services, env: EnvironmentSettings, actor: str, text: str, *, source: str, work_type: str = ""
) -> list[str]:
    """Load a roles document (see the module's docstring); the work types loaded, or InvalidRoles
    listing every problem, and nothing changes."""
    source = " ".join(source.split())[:MAX_SOURCE] or "pasted text"
    roles = read_roles(text, work_type.strip())
    tree = await services.remotes.clio(env).work_type_tree()
    concrete = {t.system_name for t in concrete_work_types(tree)}
    unknown = sorted(set(roles) - concrete)
    if unknown:
        raise InvalidRoles(
            [f"{name}: not a work type a matter can be created as in {env.name} (choose one of {', '.join(sorted(concrete))})" for name in unknown]
        )
    await services.db(services.store.work_type_roles.load, env.organisation_id, env.id, roles, source=source, actor=actor)
    return sorted(roles)


async def remove_roles(services: Services, env: EnvironmentSettings, actor: str, work_type: str) -> None:
    removed = await services.db(services.store.work_type_roles.remove, env.organisation_id, env.id, work_type, actor=actor)
    if removed is None:
        raise NotFound(f"No participant roles are loaded for {work_type} in {env.name} (any more): reload the page.")


def read_roles(text: str, work_type: str) -> dict[str, list[Json]]:
    """The roles a document gives, by work type, as the store keeps them (`ParticipantRole.to_json`),
    or InvalidRoles listing every problem."""
    if len(text.encode()) > MAX_DOCUMENT:
        raise InvalidRoles([f"(document): larger than {MAX_DOCUMENT // 1024} KB"])
    if not text.strip():
        raise InvalidRoles(["(document): is empty; upload or paste the participant roles as JSON"])
    try:
        roles = read_participant_roles(text, work_type)
    except UnreadableDocument as exc:
        raise InvalidRoles(exc.problems) from None
    return {name: [role.to_json() for role in listed] for name, listed in roles.items()}
