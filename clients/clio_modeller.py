"""Answers of Clio Operate's modeller routes, read into typed values.

The modeller routes refuse the service's client-credentials token and need an administrator's
portal session (jacquesonline/ShareDo-Tools `server/auth.js`), so their answers reach PMS Sync as
documents an administrator uploads or pastes:

- the work type tree, `GET /api/modeller/sharedoTypes` (ShareDo-Tools `server/worktype-service.js`):
  a list of nodes, or an object whose `children` or `derivedTypes` are the nodes (or one node),
  each with `systemName`, `title` or `name` (`title` first, as worktype-service.js reads it),
  `isAbstract`, and `children` or `derivedTypes`;
- a work type's participant roles, `GET /api/modeller/referenceData/participantRoles/for/{type}`:
  a list of `{systemName, name, isTeamRole, isSecurityTeamRole, allowedParticipantTypes}`, or an
  object of work type → such a list.

A reader returns typed values or raises `UnreadableDocument` listing every problem, each starting
with the path of the value. What was read is kept as JSON (`type_names_json`,
`ParticipantRole.to_json`) and read back here (`type_names_from_json`, `ParticipantRole.from_json`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from clients.clio_models import Json, ParticipantRole, ParticipantType

NAME_KEYS = ("title", "name")
CHILD_KEYS = ("children", "derivedTypes")
FLAGS = ("isTeamRole", "isSecurityTeamRole")


class UnreadableDocument(ValueError):
    """A document that is not the answer it should be; ``problems`` each start with the path of the value."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class WorkTypeNode:
    """A work type of the modeller's tree; `name` and `is_abstract` are None when the tree did not give them."""

    system_name: str
    name: str | None
    is_abstract: bool | None


def read_work_type_tree(text: str) -> tuple[WorkTypeNode, ...]:
    """Every node of a modeller tree, parents before their children."""
    doc = _decoded(text)
    problems: list[str] = []
    nodes: dict[str, WorkTypeNode] = {}
    if isinstance(doc, dict) and "systemName" in doc:
        _nodes([doc], "", nodes, problems)
    elif isinstance(doc, dict) and any(key in doc for key in CHILD_KEYS):
        key = next(key for key in CHILD_KEYS if key in doc)
        _nodes(doc[key], key, nodes, problems)
    elif isinstance(doc, list):
        _nodes(doc, "", nodes, problems)
    else:
        problems.append("(document): must be a list of work types, or an object with systemName, children or derivedTypes")
    if not problems and not nodes:
        problems.append("(document): lists no work types")
    if problems:
        raise UnreadableDocument(problems)
    return tuple(nodes.values())


def type_names_json(nodes: Iterable[WorkTypeNode]) -> dict[str, Json]:
    """System name → {"name", "isAbstract"}, each only when the tree gave it."""
    return {
        node.system_name: {
            **({"name": node.name} if node.name is not None else {}),
            **({"isAbstract": node.is_abstract} if node.is_abstract is not None else {}),
        }
        for node in nodes
    }


def type_names_from_json(kept: Mapping[str, Json]) -> tuple[WorkTypeNode, ...]:
    """What `type_names_json` gave, by system name."""
    return tuple(WorkTypeNode(name, t.get("name") or None, t.get("isAbstract")) for name, t in sorted(kept.items()))


def read_participant_roles(text: str, work_type: str) -> dict[str, tuple[ParticipantRole, ...]]:
    """The roles a document gives, by work type; a plain list is `work_type`'s."""
    doc = _decoded(text)
    if isinstance(doc, list):
        if not work_type:
            raise UnreadableDocument(["(document): a list of roles is for one work type: choose the work type it belongs to"])
        by_type: dict[str, object] = {work_type: doc}
    elif isinstance(doc, dict) and doc:
        by_type = doc
    else:
        raise UnreadableDocument(["(document): must be a list of roles, or an object of work type to a list of roles"])
    problems: list[str] = []
    roles = {name: _roles(listed, name, problems) for name, listed in by_type.items()}
    if problems:
        raise UnreadableDocument(problems)
    return roles


def _decoded(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnreadableDocument([f"(document): not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"]) from None


def _nodes(listed: object, path: str, nodes: dict[str, WorkTypeNode], problems: list[str]) -> None:
    if not isinstance(listed, list):
        problems.append(f"{path or '(document)'}: must be a list of work types")
        return
    for index, node in enumerate(listed):
        at = f"{path}[{index}]"
        if not isinstance(node, dict):
            problems.append(f"{at}: must be an object with at least systemName")
            continue
        system_name = node.get("systemName")
        if not isinstance(system_name, str) or not system_name.strip():
            problems.append(f"{at}.systemName: {'is missing' if system_name is None else 'must be text, not blank'}")
            system_name = ""
        elif system_name in nodes:
            problems.append(f"{at}.systemName: {system_name} is listed twice")
        name_key = next((key for key in NAME_KEYS if node.get(key) is not None), None)
        name = _text(node, name_key, at, problems, required=False).strip() if name_key else ""
        is_abstract = node.get("isAbstract")
        if "isAbstract" in node and not isinstance(is_abstract, bool):
            problems.append(f"{at}.isAbstract: must be true or false")
        if system_name:
            nodes[system_name] = WorkTypeNode(system_name, name or None, is_abstract if isinstance(is_abstract, bool) else None)
        for key in CHILD_KEYS:
            if node.get(key) is not None:
                _nodes(node[key], f"{at}.{key}", nodes, problems)


def _roles(listed: object, path: str, problems: list[str]) -> tuple[ParticipantRole, ...]:
    if not isinstance(listed, list) or not listed:
        problems.append(f"{path}: must be a non-empty list of roles")
        return ()
    seen: set[str] = set()
    out = []
    for index, role in enumerate(listed):
        at = f"{path}[{index}]"
        if not isinstance(role, dict):
            problems.append(f"{at}: must be an object with at least systemName")
            continue
        name = _text(role, "systemName", at, problems)
        if name in seen:
            problems.append(f"{at}.systemName: {name} is listed twice")
        seen.add(name)
        for flag in FLAGS:
            if flag in role and not isinstance(role[flag], bool):
                problems.append(f"{at}.{flag}: must be true or false")
        types = role.get("allowedParticipantTypes", [])
        if not isinstance(types, list):
            problems.append(f"{at}.allowedParticipantTypes: must be a list")
            types = []
        out.append(
            ParticipantRole(
                system_name=name,
                name=_text(role, "name", at, problems, required=False) or name,
                is_team_role=role.get("isTeamRole") is True,
                is_security_team_role=role.get("isSecurityTeamRole") is True,
                allowed_participant_types=tuple(
                    _participant_type(t, f"{at}.allowedParticipantTypes[{i}]", problems) for i, t in enumerate(types)
                ),
            )
        )
    return tuple(out)


def _participant_type(value: object, at: str, problems: list[str]) -> ParticipantType:
    """A participant type as a system name, or as an object naming its ODS entity type."""
    if isinstance(value, str) and value.strip():
        return ParticipantType(value)
    if isinstance(value, dict):
        system_name = _text(value, "systemName", at, problems)
        name = _text(value, "name", at, problems, required=False) or None
        ods_entity_type = _text(value, "odsEntityTypeSystemName", at, problems, required=False) or None
        return ParticipantType(system_name, ods_entity_type, name)
    problems.append(f'{at}: must be a participant type\'s system name (e.g. "person") or an object with systemName')
    return ParticipantType("")


def _text(obj: dict[str, Any], key: str, at: str, problems: list[str], *, required: bool = True) -> str:
    value = obj.get(key)
    if value is None:
        if required:
            problems.append(f"{at}.{key}: is missing")
        return ""
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{at}.{key}: must be text, not blank")
        return ""
    return value
