"""What Clio Operate (Sharedo) returns, as typed values; field names per reference/sharedo-api.md.

`from_json` raises KeyError, TypeError or ValueError on a malformed payload; the client turns
those into RemoteError.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
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
class WorkItemChanges:
    """New values for a work item's title, reference and key dates (None: unchanged; a key date
    None: removed). Written as the sample app edits a work item: the `GET …/workItem/{id}` answer,
    changed, sent back with `PUT` (sharedo-tech/sharedo-sample-mobile-app
    src/views/WorkItems/EditWorkItem.vue), so what is not changed is sent as the tenant holds it."""

    title: str | None = None
    reference: str | None = None
    key_dates: Mapping[str, str | None] = field(default_factory=dict)

    def applied_to(self, current: Json) -> Json:
        """The body to send back: `current` (the GET answer) with these changes."""
        item = dict(current.get("workItem") or {})
        if self.title is not None:
            item["title"] = self.title
        if self.reference is not None:
            item["reference"] = self.reference
        dates = dict(current.get("keyDates") or {})
        for kind, value in self.key_dates.items():
            if value is None:
                dates.pop(kind, None)
            else:
                dates[kind] = value
        return {**current, "workItem": item, "keyDates": dates}


@dataclass(frozen=True)
class WorkItemKeyDates:
    """`keyDates` of `GET …/workItem/{id}` (inferred from the create body, docs/remote-shapes.md):
    key date type → its day as YYYY-MM-DD, None when the type is held without a value. Clio Operate
    may answer a date with a time (midnight): the day is the date as sent, without the time."""

    days: Mapping[str, str | None]

    @classmethod
    def from_json(cls, answer: Json) -> "WorkItemKeyDates | None":
        """None when the answer carries no `keyDates`."""
        dates = answer.get("keyDates")
        if dates is None:
            return None
        return cls({str(kind): _day(value) for kind, value in dict(dates).items()})


def _day(value: Any) -> str | None:
    if value is None or value == "":
        return None
    text = value if isinstance(value, str) else str(value)
    if len(text) > 10 and text[4] == "-" and text[10] in "T ":
        return text[:10]
    return text


PHONE_TYPES = frozenset({"mobile", "direct-line", "phone"})  # people: mobile, direct-line; organisations: phone


@dataclass(frozen=True)
class ContactAddress:
    """An active ODS location: `town` and `post_code` as `locations[]` spells them (`town`, `postCode`)."""

    line1: str | None
    town: str | None
    post_code: str | None

    @classmethod
    def from_json(cls, location: Json) -> "ContactAddress":
        return cls(line1=location.get("addressLine1") or None, town=location.get("town") or None, post_code=location.get("postCode") or None)

    @property
    def text(self) -> str:
        return ", ".join(part for part in (self.line1, self.town, self.post_code) if part)


@dataclass(frozen=True)
class OdsContact:
    """A person or organisation in the ODS; `name` is "first surname" for people.

    `emails` and `phones` are its active contact details (`aspectData.ContactDetails`, phones of
    type mobile, direct-line or phone), `addresses` its active `locations`; `is_user` marks a
    person who is a portal user (their id is then the user's id). Field names per a real
    `_search` answer: Alter-Igor/AlterspectiveSharedoIDE …/UnifiedOdsPmsSearch/sharedoResultsExample.json.
    That answer carries no creation date: `created` reads `createdDate` where a tenant sends one
    (inferred, as work items name theirs), and is None otherwise.
    """

    id: str
    kind: Literal["person", "organisation"]
    name: str
    reference: str | None
    external_reference: str | None
    emails: tuple[str, ...] = ()
    is_user: bool = False
    phones: tuple[str, ...] = ()
    addresses: tuple[ContactAddress, ...] = ()
    created: datetime | None = None

    @classmethod
    def from_json(cls, kind: Literal["person", "organisation"], entity: Json) -> "OdsContact":
        if kind == "person":
            name = " ".join(part for part in (entity.get("firstName"), entity.get("surname")) if part)
        else:
            name = entity.get("name") or ""
        details = [
            d for d in (entity.get("aspectData") or {}).get("ContactDetails") or ()
            if d.get("isActive", True) and d.get("contactValue")
        ]
        return cls(
            id=entity["id"],
            kind=kind,
            name=name,
            reference=entity.get("reference"),
            external_reference=entity.get("externalReference"),
            emails=tuple(str(d["contactValue"]) for d in details if d.get("contactTypeSystemName") == "email"),
            is_user=bool(entity.get("isUser")),
            phones=tuple(str(d["contactValue"]) for d in details if d.get("contactTypeSystemName") in PHONE_TYPES),
            addresses=tuple(
                ContactAddress.from_json(location)
                for location in entity.get("locations") or ()
                if location.get("isActive", True)
            ),
            created=_timestamp(entity.get("createdDate")),
        )

    def has_email(self, email: str) -> bool:
        """E-mail addresses compare without regard to case."""
        wanted = email.strip().casefold()
        return any(value.strip().casefold() == wanted for value in self.emails)


def _timestamp(value: Any) -> datetime | None:
    """An ISO 8601 date and time; anything else (absent, unreadable) is no date."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True)
class FormField:
    """A form-builder field on work items. findByQuery reads its value back with the enrich path
    `form-{form}.{field}`, and the attributes route names it by the field alone
    (`POST …/workItem/{id}/attributes/{field}`): both in sharedo-tech/forum2024-02-S3
    `IDE/Demo01/PMSWidget/PMSWidgetAgent.js` (`form-demo01pms.demo01PmsReference`)."""

    form: str
    field: str

    @property
    def enrich_path(self) -> str:
        return f"form-{self.form}.{self.field}"


@dataclass(frozen=True)
class WorkItemRef:
    """A findByQuery hit; `attributes` holds the values of the form fields asked for."""

    id: str
    title: str | None
    reference: str | None
    type_system_name: str | None
    phase_system_name: str | None
    attributes: dict[FormField, Any]
    type_name: str | None = None  # display names, as Clio Operate shows them
    phase_name: str | None = None

    @classmethod
    def from_json(cls, result: Json, fields: tuple[FormField, ...]) -> "WorkItemRef":
        data = result.get("data") or {}
        return cls(
            id=result.get("id") or data["id"],
            title=data.get("title"),
            reference=data.get("reference"),
            type_system_name=data.get("type.systemName"),
            phase_system_name=data.get("phase.systemName"),
            attributes={field: data.get(field.enrich_path) for field in fields},
            type_name=data.get("type.name"),
            phase_name=data.get("phase.name"),
        )


@dataclass(frozen=True)
class WorkItemParticipant:
    """One row of `GET /api/v2/public/workItem/{id}/participants` (sharedo-tech/sharedo-sample-mobile-app
    `Participants.vue`): who holds which role."""

    role: str
    ods_id: str
    name: str | None
    ods_type: str | None

    @classmethod
    def from_json(cls, data: Json) -> "WorkItemParticipant":
        return cls(
            role=str(data["participantRoleSystemName"]),
            ods_id=str(data["odsId"]),
            name=data.get("odsName"),
            ods_type=data.get("participantType"),
        )


@dataclass(frozen=True)
class PhaseTransition:
    """One of `availableTransitions` in `GET …/workItem/{id}/phase` (sharedo-tech/sharedo-sample-mobile-app
    `src/agents/phasesAgent.js`, `src/views/WorkItems/WorkItemDetail.vue`)."""

    name: str
    to_phase: str
    is_optimum_path: bool
    is_user_driven: bool

    @classmethod
    def from_json(cls, data: Json) -> "PhaseTransition":
        return cls(
            name=data.get("name") or data["toPhaseSystemName"],
            to_phase=data["toPhaseSystemName"],
            is_optimum_path=bool(data.get("isOptimumPath")),
            is_user_driven=bool(data.get("isUserDriven", True)),
        )


@dataclass(frozen=True)
class PhaseRef:
    """A phase by its system name and the name Clio Operate shows people (`PUT …/phase`'s answer)."""

    system_name: str
    name: str


@dataclass(frozen=True)
class WorkItemPhase:
    """`GET …/workItem/{id}/phase`: the moves open to the work item now. Only
    `availableTransitions` is read by public callers; the current phase's own `systemName` is
    taken when present."""

    system_name: str | None
    available_transitions: tuple[PhaseTransition, ...]

    @classmethod
    def from_json(cls, data: Json) -> "WorkItemPhase":
        return cls(
            system_name=data.get("systemName"),
            available_transitions=tuple(PhaseTransition.from_json(t) for t in data.get("availableTransitions") or ()),
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
class ParticipantType:
    """A participant type a role takes: a plain system name (`"team"`), or an object
    `{systemName, name, iconClass, addCommand, odsEntityTypeSystemName}` as in Alter-Igor/Test
    `src/Typings/WidgetsOdsEntityPicker/IAddParticipantService.ts` (`AllowedParticipantType`)."""

    system_name: str
    ods_entity_type: str | None = None
    name: str | None = None

    @classmethod
    def from_json(cls, data: str | Json) -> "ParticipantType":
        if isinstance(data, str):
            return cls(data)
        return cls(str(data["systemName"]), data.get("odsEntityTypeSystemName") or None, data.get("name") or None)

    def to_json(self) -> str | Json:
        """A plain system name when that is all there is to say."""
        if self.ods_entity_type is None and self.name is None:
            return self.system_name
        optional = {"name": self.name, "odsEntityTypeSystemName": self.ods_entity_type}
        return {"systemName": self.system_name, **{key: value for key, value in optional.items() if value is not None}}

    def takes(self, kind: str) -> bool:
        """Whether an ODS entity of this kind (person, organisation, team) fits; the ODS entity
        type decides when the entry names one (a `user` participant is a `person` in the ODS)."""
        return (self.ods_entity_type or self.system_name) == kind


@dataclass(frozen=True)
class ParticipantRole:
    system_name: str
    name: str
    is_team_role: bool
    is_security_team_role: bool
    allowed_participant_types: tuple[ParticipantType, ...]

    @classmethod
    def from_json(cls, data: Json) -> "ParticipantRole":
        return cls(
            system_name=data["systemName"],
            name=data.get("name") or data["systemName"],
            is_team_role=bool(data.get("isTeamRole")),
            is_security_team_role=bool(data.get("isSecurityTeamRole")),
            allowed_participant_types=tuple(
                ParticipantType.from_json(t) for t in data.get("allowedParticipantTypes") or ()
            ),
        )

    def to_json(self) -> Json:
        return {
            "systemName": self.system_name,
            "name": self.name,
            "isTeamRole": self.is_team_role,
            "isSecurityTeamRole": self.is_security_team_role,
            "allowedParticipantTypes": [t.to_json() for t in self.allowed_participant_types],
        }

    def takes(self, kind: str) -> bool:
        """Whether the role takes an ODS entity of this kind; a role that lists no types takes any."""
        return not self.allowed_participant_types or any(t.takes(kind) for t in self.allowed_participant_types)


@dataclass(frozen=True)
class WorkType:
    """A node of `GET /api/v2/public/types/tree`. The public tree is known to carry only
    `systemName` and `children` (sharedo-mobile-core `src/infra/typesTree.js`); `name` and
    `isAbstract` are read when a tenant sends them (the modeller tree does). Without `isAbstract`
    a node with children is taken as a base type (abstract) and a leaf as one a work item can be
    created as (inferred, docs/remote-shapes.md)."""

    system_name: str
    name: str
    is_abstract: bool
    children: tuple["WorkType", ...]

    @classmethod
    def from_json(cls, data: Json) -> "WorkType":
        children = tuple(cls.from_json(child) for child in data.get("children") or ())
        flag = data.get("isAbstract")
        return cls(
            system_name=data["systemName"],
            name=data.get("name") or data["systemName"],
            is_abstract=flag if isinstance(flag, bool) else bool(children),
            children=children,
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
