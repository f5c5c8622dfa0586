"""What Clio Operate (Sharedo) returns, as typed values; field names per reference/sharedo-api.md.

`from_json` raises KeyError, TypeError or ValueError on a malformed payload; the client turns
those into RemoteError.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Json = dict[str, Any]
OdsType = Literal["person", "organisation", "team"]


@dataclass(frozen=True)
class NewParticipant:
    """A role assignment in a work item create call; `ods_type` names the ODS entity's type.

    A user is added as odsType "person" with the user's id, as real callers do (Alter-Igor/Test
    _IDE/WKExpressSydneyWater/WKExpressWidgetAgent.js); the tenant decides from the role that the
    person is there as a user.
    """

    role: str
    ods_id: str
    ods_type: OdsType
    name: str

    def to_json(self) -> Json:
        return {"roleSystemName": self.role, "odsId": self.ods_id, "odsType": self.ods_type, "odsReference": self.name}


@dataclass(frozen=True)
class NewWorkItem:
    """`POST /api/v1/public/workItem`: sharedo-tech/sharedo_ide CreateInstructionFileUpload/src/agent.js
    (workItem, aspectData, keyDates, participants); form-builder data as `formBuilder.formData`
    (Alter-Igor/Test _IDE/WKExpressSydneyWater/WKExpressWidgetAgent.js)."""

    work_type: str
    title: str
    reference: str
    description: str = ""
    attributes: Mapping[str, Any] = field(default_factory=dict)
    key_dates: Mapping[str, Any] = field(default_factory=dict)
    participants: tuple[NewParticipant, ...] = ()

    def to_json(self) -> Json:
        return {
            "workItem": {
                "sharedoTypeSystemName": self.work_type,
                "title": self.title,
                "titleIsUserProvided": True,
                "reference": self.reference,
                "referenceIsUserProvided": True,
                "description": self.description,
            },
            "aspectData": {"formBuilder": {"formData": dict(self.attributes), "formIds": []}},
            "keyDates": dict(self.key_dates),
            "participants": [participant.to_json() for participant in self.participants],
        }


@dataclass(frozen=True)
class OdsContact:
    """A person or organisation in the ODS; `name` is "first surname" for people.

    `emails` are its active e-mail contact details; `is_user` marks a person who is a portal user
    (their id is then the user's id). Field names per a real `_search` answer:
    Alter-Igor/AlterspectiveSharedoIDE …/UnifiedOdsPmsSearch/sharedoResultsExample.json.
    """

    id: str
    kind: Literal["person", "organisation"]
    name: str
    reference: str | None
    external_reference: str | None
    emails: tuple[str, ...] = ()
    is_user: bool = False

    @classmethod
    def from_json(cls, kind: Literal["person", "organisation"], entity: Json) -> "OdsContact":
        if kind == "person":
            name = " ".join(part for part in (entity.get("firstName"), entity.get("surname")) if part)
        else:
            name = entity.get("name") or ""
        details = (entity.get("aspectData") or {}).get("ContactDetails") or ()
        return cls(
            id=entity["id"],
            kind=kind,
            name=name,
            reference=entity.get("reference"),
            external_reference=entity.get("externalReference"),
            emails=tuple(
                str(d["contactValue"])
                for d in details
                if d.get("contactTypeSystemName") == "email" and d.get("isActive", True) and d.get("contactValue")
            ),
            is_user=bool(entity.get("isUser")),
        )

    def has_email(self, email: str) -> bool:
        """E-mail addresses compare without regard to case."""
        wanted = email.strip().casefold()
        return any(value.strip().casefold() == wanted for value in self.emails)


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
