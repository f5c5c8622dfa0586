"""The records a sandbox Clio Operate tenant holds: ODS entities, work types and work items."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class User:
    """A portal user. Users are also ODS people: their person id is the user id."""

    id: str
    username: str
    first_name: str
    surname: str
    roles: tuple[str, ...]
    provider: str = "idsrv"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.surname}"


@dataclass(frozen=True)
class ContactDetail:
    id: str
    contact_type: str
    value: str
    is_primary: bool = False
    is_active: bool = True


@dataclass(frozen=True)
class Location:
    """An ODS address, as `locations[]` of a search row spells it (sharedoResultsExample.json)."""

    id: str
    address_line1: str
    town: str
    post_code: str
    county: str = ""
    country: str = "Australia"
    is_active: bool = True


@dataclass
class Person:
    id: str
    first_name: str
    surname: str
    is_active: bool = True
    reference: str | None = None
    external_reference: str | None = None
    is_user: bool = False
    contact_details: list[ContactDetail] = field(default_factory=list)
    locations: list[Location] = field(default_factory=list)
    created: datetime | None = None

    ods_entity_type = "person"

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.surname}".strip()


@dataclass
class Organisation:
    id: str
    name: str
    is_active: bool = True
    reference: str | None = None
    external_reference: str | None = None
    contact_details: list[ContactDetail] = field(default_factory=list)
    locations: list[Location] = field(default_factory=list)
    created: datetime | None = None

    ods_entity_type = "organisation"


Contact = Person | Organisation


@dataclass(frozen=True)
class Team:
    id: str
    name: str
    team_type: str
    reference: str

    ods_entity_type = "team"


@dataclass(frozen=True)
class ParticipantRole:
    system_name: str
    name: str
    category: str
    allowed_participant_types: tuple[str, ...]
    is_team_role: bool = False
    is_security_team_role: bool = False
    is_primary_owner: bool = False


@dataclass(frozen=True)
class WorkType:
    """A node of the work type tree. Roles and key dates declared here are inherited by children."""

    system_name: str
    name: str
    is_abstract: bool
    parent: str | None = None
    roles: tuple[ParticipantRole, ...] = ()
    key_dates: tuple[str, ...] = ()


@dataclass(frozen=True)
class Form:
    """A form-builder form of the tenant; findByQuery reads its fields as `form-{form}.{field}`."""

    system_name: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class Phase:
    system_name: str
    name: str
    icon_class: str
    is_start: bool = False
    is_open: bool = True
    is_removed: bool = False


@dataclass(frozen=True)
class Transition:
    from_phase: str
    to_phase: str
    name: str
    is_optimum_path: bool = False


@dataclass(frozen=True)
class PhasePlan:
    system_name: str
    phases: tuple[Phase, ...]
    transitions: tuple[Transition, ...]

    @property
    def start(self) -> Phase:
        return next(phase for phase in self.phases if phase.is_start)

    def phase(self, system_name: str) -> Phase:
        return next(phase for phase in self.phases if phase.system_name == system_name)

    def transitions_from(self, system_name: str) -> list[Transition]:
        return [t for t in self.transitions if t.from_phase == system_name]


@dataclass(frozen=True)
class Participant:
    role: ParticipantRole
    ods_id: str
    ods_type: str
    ods_name: str


@dataclass
class WorkItem:
    id: str
    type_system_name: str
    title: str
    reference: str
    description: str
    title_is_user_provided: bool
    reference_is_user_provided: bool
    phase: Phase
    created: datetime
    attributes: dict[str, str] = field(default_factory=dict)
    form_ids: list[str] = field(default_factory=list)
    key_dates: dict[str, object] = field(default_factory=dict)
    other_aspects: dict[str, object] = field(default_factory=dict)
    participants: list[Participant] = field(default_factory=list)
