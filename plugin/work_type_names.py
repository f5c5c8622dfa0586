"""Settings → Work Type Names: the names people use for work types, loaded by an administrator.

The public tree (`GET /api/v2/public/types/tree`) carries only `systemName` and `children`
(sharedo-tech/sharedo-mobile-core `src/infra/typesTree.js`); display names and `isAbstract` are
on the modeller's tree, `GET /api/modeller/sharedoTypes`, which refuses the service's
client-credentials token and needs an administrator's portal session (jacquesonline/ShareDo-Tools
`server/worktype-service.js`, `server/auth.js`). So an administrator loads that answer here, per
environment: a list of nodes, or an object whose `children` or `derivedTypes` are the nodes (or
one node), each with `systemName`, `title` or `name`, `isAbstract`, and `children` or
`derivedTypes`. Work types are then shown by the tree's own name where a tenant sends one, else by
the loaded name, else by the readable system name (plugin/display_names.py).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from clients.clio_models import WorkType
from clients.errors import RemoteError
from plugin.display_names import readable
from plugin.errors import InvalidDocument
from plugin.services import Services
from store.repository import EnvironmentSettings

MAX_DOCUMENT = 1024 * 1024
MAX_SOURCE = 200
NAME_KEYS = ("title", "name")  # the modeller's display name; `title` first, as worktype-service.js reads it
CHILD_KEYS = ("children", "derivedTypes")


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
        services.connections.clio(env).work_type_tree(),
        return_exceptions=True,
    )
    if isinstance(row, BaseException):
        raise row
    if isinstance(tree, BaseException) and not isinstance(tree, RemoteError):
        raise tree
    types = row.types if row else {}
    page = NamesOverview(
        [
            LoadedWorkType(name, t.get("name") or readable(name), t.get("isAbstract"))
            for name, t in sorted(types.items())
        ],
        row.source if row else None,
        row.loaded_by if row else None,
        row.loaded_at if row else None,
        None,
    )
    if isinstance(tree, RemoteError):
        page.warnings.append(f"The work types could not be listed, so the page cannot say which have no name loaded: {tree}")
    else:
        page.unnamed = [name for name in _system_names(tree) if not types.get(name, {}).get("name")]  # type: ignore[arg-type]
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


def read_type_tree(text: str) -> dict[str, dict[str, Any]]:
    """System name → {"name", "isAbstract"} (each only when the tree gives it), for every node."""
    if len(text.encode()) > MAX_DOCUMENT:
        raise InvalidTypeTree([f"(document): larger than {MAX_DOCUMENT // 1024} KB"])
    if not text.strip():
        raise InvalidTypeTree(["(document): is empty; upload or paste the answer of /api/modeller/sharedoTypes"])
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidTypeTree([f"(document): not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"]) from None
    problems: list[str] = []
    types: dict[str, dict[str, Any]] = {}
    if isinstance(doc, dict) and "systemName" in doc:
        _nodes([doc], "", types, problems)
    elif isinstance(doc, dict) and any(key in doc for key in CHILD_KEYS):
        key = next(key for key in CHILD_KEYS if key in doc)
        _nodes(doc[key], key, types, problems)
    elif isinstance(doc, list):
        _nodes(doc, "", types, problems)
    else:
        problems.append("(document): must be a list of work types, or an object with systemName, children or derivedTypes")
    if not problems and not types:
        problems.append("(document): lists no work types")
    if problems:
        raise InvalidTypeTree(problems)
    return types


def _nodes(nodes: object, path: str, types: dict[str, dict[str, Any]], problems: list[str]) -> None:
    if not isinstance(nodes, list):
        problems.append(f"{path or '(document)'}: must be a list of work types")
        return
    for index, node in enumerate(nodes):
        at = f"{path}[{index}]"
        if not isinstance(node, dict):
            problems.append(f"{at}: must be an object with at least systemName")
            continue
        system_name = node.get("systemName")
        if not isinstance(system_name, str) or not system_name.strip():
            problems.append(f"{at}.systemName: {'is missing' if system_name is None else 'must be text, not blank'}")
            system_name = ""
        elif system_name in types:
            problems.append(f"{at}.systemName: {system_name} is listed twice")
        entry: dict[str, Any] = {}
        name_key = next((key for key in NAME_KEYS if node.get(key) is not None), None)
        if name_key:
            name = node[name_key]
            if isinstance(name, str) and name.strip():
                entry["name"] = name.strip()
            else:
                problems.append(f"{at}.{name_key}: must be text, not blank")
        if "isAbstract" in node:
            if isinstance(node["isAbstract"], bool):
                entry["isAbstract"] = node["isAbstract"]
            else:
                problems.append(f"{at}.isAbstract: must be true or false")
        if system_name:
            types[system_name] = entry
        for key in CHILD_KEYS:
            if node.get(key) is not None:
                _nodes(node[key], f"{at}.{key}", types, problems)
