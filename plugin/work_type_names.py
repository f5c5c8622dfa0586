"""Settings → Work Type Names: the names people use for work types, loaded by an administrator.

The public tree (`GET /api/v2/public/types/tree`) carries only `systemName` and `children`
(sharedo-tech/sharedo-mobile-core `src/infra/typesTree.js`); display names and `isAbstract` are
on the modeller's tree, `GET /api/modeller/sharedoTypes`, which refuses the service's
client-credentials token and needs an administrator's portal session (jacquesonline/ShareDo-Tools
`server/worktype-service.js`, `server/auth.js`). So an administrator loads that answer here, per
environment (its shape: `clients/clio_modeller.py`). Work types are then shown by the tree's own
name where a tenant sends one, else by the loaded name, else by the readable system name
(plugin/display_names.py).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime

from clients.clio_modeller import UnreadableDocument, read_work_type_tree, type_names_from_json, type_names_json
from clients.clio_models import Json, WorkType
from clients.errors import RemoteError, answer_or_error
from plugin.display_names import readable
from plugin.errors import InvalidDocument
from plugin.services import Services
from store.repository import EnvironmentSettings

MAX_DOCUMENT = 1024 * 1024
MAX_SOURCE = 200


class InvalidTypeTree(InvalidDocument):
    """A work type tree that does not validate; ``problems`` each start with the path of the value."""

    refusal = "The work type names were not loaded"


@dataclass(frozen=True)
class LoadedWorkType:
    system_name: str
    name: str  # the readable system name when the tree gave none
    is_abstract: bool | None  # None when the tree did not say


@dataclass
class NamesOverview:
    loaded: list[LoadedWorkType]
    source: str | None  # None when nothing was loaded
    loaded_by: str | None
    loaded_at: datetime | None
    unnamed: list[str] | None  # work types of the public tree without a loaded name; None when it did not answer
    warnings: list[str] = field(default_factory=list)



async def overview(services: Services, env: EnvironmentSettings) -> NamesOverview:
    row, tree = await asyncio.gather(
        services.db(services.store.work_type_names.loaded, env.organisation_id, env.id),
        answer_or_error(services.remotes.clio(env).work_type_tree()),
    )
    nodes = type_names_from_json(row.types) if row else ()
    page = NamesOverview(
        [LoadedWorkType(node.system_name, node.name or readable(node.system_name), node.is_abstract) for node in nodes],
        row.source if row else None,
        row.loaded_by if row else None,
        row.loaded_at if row else None,
        None,
    )
    if isinstance(tree, RemoteError):
        page.warnings.append(f"The work types could not be listed, so the page cannot say which have no name loaded: {tree}")
    else:
        named = {node.system_name for node in nodes if node.name}
        page.unnamed = [name for name in _system_names(tree) if name not in named]
    return page


def _system_names(tree: list[WorkType]) -> list[str]:
    return [name for node in tree for name in (node.system_name, *_system_names(list(node.children)))]


async def load_type_names(services: Services, env: EnvironmentSettings, actor: str, text: str, *, source: str) -> int:
    """Load a modeller tree (see the module's docstring), replacing the environment's names; the
    number of work types loaded, or InvalidTypeTree listing every problem, and nothing changes."""
    source = " ".join(source.split())[:MAX_SOURCE] or "pasted text"
    types = read_type_tree(text)
    await services.db(services.store.work_type_names.load, env.organisation_id, env.id, types, source=source, actor=actor)
    return len(types)


def read_type_tree(text: str) -> dict[str, Json]:
    """The work types of a modeller tree as the store keeps them (`clients.clio_modeller.type_names_json`),
    or InvalidTypeTree listing every problem."""
    if len(text.encode()) > MAX_DOCUMENT:
        raise InvalidTypeTree([f"(document): larger than {MAX_DOCUMENT // 1024} KB"])
    if not text.strip():
        raise InvalidTypeTree(["(document): is empty; upload or paste the answer of /api/modeller/sharedoTypes"])
    try:
        return type_names_json(read_work_type_tree(text))
    except UnreadableDocument as exc:
        raise InvalidTypeTree(exc.problems) from None
