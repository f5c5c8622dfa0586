"""Names people use: what Clio Operate shows staff for work types, roles, key dates and phases,
where the API speaks in system names ("matter-litigation", "other-side", "kd-instruction-date").

Work type names come from the types tree when the tenant sends them (the public tree is known
to carry system names only, docs/remote-shapes.md), read at most once every few minutes per
environment (`ClioOperateClient.recent_work_type_tree`); role names from the roles an administrator loaded;
phase names from the work item search's `phase.name`. Key-date types have no public route for
their titles, so their system name is made readable. A name that cannot be had is the readable
form of the system name, never a failure.
"""

from __future__ import annotations

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


def work_type_names(tree: list[WorkType]) -> dict[str, str]:
    """Display name by system name, for every node of the tree."""
    names: dict[str, str] = {}
    for node in tree:
        names[node.system_name] = node.name
        names.update(work_type_names(list(node.children)))
    return names


async def known_work_type_names(clio: ClioOperateClient) -> dict[str, str]:
    """The tenant's work type names; empty when Clio Operate cannot say now (names then fall back)."""
    try:
        return work_type_names(await clio.recent_work_type_tree())
    except RemoteError:
        return {}


def work_type_name(names: dict[str, str], system_name: str | None) -> str:
    if not system_name:
        return ""
    found = names.get(system_name)
    return found if found and found != system_name else readable(system_name)
