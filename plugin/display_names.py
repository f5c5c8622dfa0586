"""Names people use: what Clio Operate shows staff for work types, roles, key dates and phases,
where the API speaks in system names ("matter-litigation", "other-side", "kd-instruction-date").

Work type names come from the types tree when the tenant sends them, read at most once every few
minutes per environment (`ClioOperateClient.recent_work_type_tree`); the public tree is known to
carry system names only (docs/remote-shapes.md), so otherwise from the modeller's tree an
administrator loaded (plugin/work_type_names.py); role names from the roles an administrator loaded;
phase names from the work item search's `phase.name`. Key-date types have no public route for
their titles, so their system name is made readable. A name that cannot be had is the readable
form of the system name, never a failure.
"""

from __future__ import annotations

from dataclasses import replace

from clients.clio_models import WorkType
from clients.clio_operate import ClioOperateClient
from clients.errors import RemoteError

KEY_DATE_PREFIX = "kd-"


def readable(system_name: str) -> str:
    """"instruction-date" → "Instruction date", "matter_handling" → "Matter handling"."""
    words = system_name.replace("_", " ").replace("-", " ").split()
    text = " ".join(words)
    return text[:1].upper() + text[1:] if text else system_name


def key_date_name(system_name: str) -> str:
    """"kd-instruction-date" → "Instruction date" (the key-date prefix is not part of the name)."""
    return readable(system_name.removeprefix(KEY_DATE_PREFIX))


def work_type_names(tree: list[WorkType], loaded: dict[str, str] | None = None) -> dict[str, str]:
    """Display name by system name: the name a node of the tree carries, else the `loaded` one."""
    names = dict(loaded or {})
    for node in tree:
        if node.name != node.system_name:  # a node without a name is read with its system name
            names[node.system_name] = node.name
        names.update(work_type_names(list(node.children)))
    return names


async def known_work_type_names(clio: ClioOperateClient, loaded: dict[str, str]) -> dict[str, str]:
    """The tenant's work type names, over the `loaded` ones; only those when Clio Operate cannot
    say now (names then fall back)."""
    try:
        return work_type_names(await clio.recent_work_type_tree(), loaded)
    except RemoteError:
        return dict(loaded)


def named(work_types: list[WorkType], loaded: dict[str, str]) -> list[WorkType]:
    """`work_types` each with the name staff see (`work_type_name`)."""
    names = work_type_names(work_types, loaded)
    return [replace(t, name=work_type_name(names, t.system_name)) for t in work_types]


def work_type_name(names: dict[str, str], system_name: str | None) -> str:
    if not system_name:
        return ""
    found = names.get(system_name)
    return found if found and found != system_name else readable(system_name)
