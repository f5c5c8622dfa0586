"""What Clio Operate (Sharedo) returns, as typed values; field names per reference/sharedo-api.md.

`from_json` raises KeyError, TypeError or ValueError on a malformed payload; the client turns
those into RemoteError.
"""

from dataclasses import dataclass
from typing import Any, Literal

Json = dict[str, Any]


@dataclass(frozen=True)
class OdsContact:
    """A person or organisation in the ODS; `name` is "first surname" for people."""

    id: str
    kind: Literal["person", "organisation"]
    name: str
    reference: str | None
    external_reference: str | None

    @classmethod
    def from_json(cls, kind: Literal["person", "organisation"], entity: Json) -> "OdsContact":
        if kind == "person":
            name = " ".join(part for part in (entity.get("firstName"), entity.get("surname")) if part)
        else:
            name = entity.get("name") or ""
        return cls(
            id=entity["id"],
            kind=kind,
            name=name,
            reference=entity.get("reference"),
            external_reference=entity.get("externalReference"),
        )


@dataclass(frozen=True)
class WorkItemRef:
    """A findByQuery hit; `attributes` holds the attribute values asked for, by name."""

    id: str
    title: str | None
    reference: str | None
    type_system_name: str | None
    phase_system_name: str | None
    phase_is_open: bool | None
    attributes: dict[str, Any]

    @classmethod
    def from_json(cls, result: Json, attribute_names: tuple[str, ...]) -> "WorkItemRef":
        data = result.get("data") or {}
        return cls(
            id=result.get("id") or data["id"],
            title=data.get("title"),
            reference=data.get("reference"),
            type_system_name=data.get("type.systemName"),
            phase_system_name=data.get("phase.systemName"),
            phase_is_open=data.get("phase.isOpen"),
            attributes={name: data.get(name) for name in attribute_names},
        )


@dataclass(frozen=True)
class Team:
    id: str
    name: str
    team_type: str | None

    @classmethod
    def from_json(cls, data: Json) -> "Team":
        return cls(id=data["id"], name=data["name"], team_type=data.get("teamType"))


@dataclass(frozen=True)
class ParticipantRole:
    system_name: str
    name: str
    is_team_role: bool
    is_security_team_role: bool
    allowed_participant_types: tuple[str, ...]

    @classmethod
    def from_json(cls, data: Json) -> "ParticipantRole":
        return cls(
            system_name=data["systemName"],
            name=data.get("name") or data["systemName"],
            is_team_role=bool(data.get("isTeamRole")),
            is_security_team_role=bool(data.get("isSecurityTeamRole")),
            allowed_participant_types=tuple(data.get("allowedParticipantTypes") or ()),
        )


@dataclass(frozen=True)
class WorkType:
    system_name: str
    name: str
    is_abstract: bool
    children: tuple["WorkType", ...]

    @classmethod
    def from_json(cls, data: Json) -> "WorkType":
        return cls(
            system_name=data["systemName"],
            name=data.get("name") or data["systemName"],
            is_abstract=bool(data.get("isAbstract")),
            children=tuple(cls.from_json(child) for child in data.get("children") or ()),
        )


@dataclass(frozen=True)
class UserInfo:
    """`/api/security/userInfo`; `roles` are system names."""

    is_authenticated: bool
    user_id: str | None
    user_name: str | None
    full_name: str | None
    provider: str | None
    roles: tuple[str, ...]
    client_id: str | None

    @classmethod
    def from_json(cls, data: Json) -> "UserInfo":
        return cls(
            is_authenticated=bool(data.get("isAuthenticated")),
            user_id=data.get("userId"),
            user_name=data.get("userName"),
            full_name=data.get("fullName"),
            provider=data.get("provider"),
            roles=tuple(_role_name(role) for role in data.get("roles") or ()),
            client_id=data.get("clientId"),
        )


def _role_name(role: str | Json) -> str:
    """Roles arrive as system names or as objects carrying `systemName` (or only `name`)."""
    if isinstance(role, str):
        return role
    return str(role.get("systemName") or role["name"])
