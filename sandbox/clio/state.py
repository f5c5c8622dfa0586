"""In-memory state of one sandbox tenant, and the rules the real API enforces on it.

Writes are visible to searches at once (the real tenant's search is Elastic-backed and may lag;
the sandbox does not imitate the lag, so idempotency checks can be tested deterministically).
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import chain
from typing import TypeVar

from sandbox.clio.model import (
    Contact,
    ContactDetail,
    Form,
    Organisation,
    Participant,
    ParticipantRole,
    Person,
    Phase,
    PhasePlan,
    Team,
    User,
    WorkItem,
    WorkType,
)

R = TypeVar("R")

CONTACT_TYPES = {
    "person": frozenset({"email", "mobile", "direct-line"}),
    "organisation": frozenset({"email", "phone"}),
}
# What a participant's `odsType` may name: the ODS entity types, and "user" (a person who is a
# portal user), all seen sent to the create call (reference/sharedo-api.md §2.1).
ODS_TYPES = ("person", "organisation", "team", "user")


class InvalidRequest(ValueError):
    """The request breaks a rule of the tenant's configuration (the API answers 400)."""


class NotFound(LookupError):
    """The addressed record does not exist (the API answers 404)."""


@dataclass(frozen=True)
class NewContactFields:
    """What a new person and a new organisation have in common."""

    is_active: bool = True
    reference: str | None = None
    external_reference: str | None = None
    contact_details: tuple[dict[str, object], ...] = ()


@dataclass(frozen=True)
class NewParticipant:
    role_system_name: str
    ods_id: str
    ods_type: str | None = None


@dataclass(frozen=True)
class NewWorkItem:
    type_system_name: str
    title: str
    reference: str = ""
    description: str = ""
    title_is_user_provided: bool = True
    reference_is_user_provided: bool = True
    attributes: dict[str, object] = field(default_factory=dict)
    form_ids: tuple[str, ...] = ()
    key_dates: dict[str, object] = field(default_factory=dict)
    other_aspects: dict[str, object] = field(default_factory=dict)
    participants: tuple[NewParticipant, ...] = ()


@dataclass(frozen=True)
class WorkItemUpdate:
    """A `PUT` of a work item: its type as sent (must be its own), the `workItem` fields changed,
    and the form data and key dates as sent back (None: not sent, left as they are)."""

    type_system_name: str
    changes: dict[str, str]
    attributes: dict[str, object] | None = None
    key_dates: dict[str, object] | None = None


@dataclass(frozen=True)
class WorkItemQuery:
    """`findByQuery` filters; an empty collection or None means "do not filter on this"."""

    include_types: tuple[str, ...] = ()
    include_types_derived_from: tuple[str, ...] = ()
    include_open: bool = True
    include_closed: bool = True
    include_removed: bool = False
    work_item_ids: tuple[str, ...] = ()
    attributes: tuple[tuple[str, str], ...] = ()
    reference: str | None = None


def attribute_text(value: object) -> str:
    """Attributes are strings in Clio Operate; non-strings are stored as their JSON text."""
    return value if isinstance(value, str) else json.dumps(value)


def _matches_every_word(search: str, *fields: str | None) -> bool:
    return _holds_every_word(_haystack(*fields), search.casefold().split())


def _haystack(*fields: str | None) -> str:
    return " ".join(f for f in fields if f).casefold()


def _holds_every_word(haystack: str, words: list[str]) -> bool:
    return all(word in haystack for word in words)


def _contact_text(contact: Contact) -> str:
    """What a contact search matches against: its name, references and contact details."""
    return _haystack(
        contact.name, contact.reference, contact.external_reference, *(d.value for d in contact.contact_details)
    )


class _AttributeIndex:
    """The ids of the work items of one `work_items` dict by (attribute, value), as `findByQuery`
    looks them up: the product asks for the work item of one Aderant matter id. An entry may be
    stale (an attribute changed since): lookups check the items they find."""

    def __init__(self, work_items: dict[str, WorkItem]) -> None:
        self.work_items = work_items
        self.ids: dict[tuple[str, str], set[str]] = defaultdict(set)
        self.size = 0
        for item in work_items.values():
            self.add(item)

    def covers(self, work_items: dict[str, WorkItem]) -> bool:
        """Whether it indexes every item of `work_items` (the seed and a restore fill it directly)."""
        return self.work_items is work_items and self.size == len(work_items)

    def add(self, item: WorkItem) -> None:
        for name, value in item.attributes.items():
            self.ids[(name, value)].add(item.id)
        self.size += 1

    def attribute_set(self, item: WorkItem, name: str, value: str) -> None:
        self.ids[(name, value)].add(item.id)


@dataclass
class TenantState:
    users: dict[str, User]
    people: dict[str, Person]
    organisations: dict[str, Organisation]
    teams: dict[str, Team]
    work_types: dict[str, WorkType]
    phase_plan: PhasePlan
    forms: dict[str, Form] = field(default_factory=dict)
    work_items: dict[str, WorkItem] = field(default_factory=dict)
    revision: int = 0
    """Counts the changes made through the methods below, so a saver can tell when to save."""
    _contact_texts: dict[str, tuple[Contact, str]] = field(default_factory=dict, repr=False, compare=False)
    _attribute_index: _AttributeIndex | None = field(default=None, repr=False, compare=False)

    # --- users ---------------------------------------------------------------------------

    def user_by_username(self, username: str) -> User | None:
        return next((u for u in self.users.values() if u.username.casefold() == username.casefold()), None)

    # --- ODS -----------------------------------------------------------------------------

    def search_contacts(self, search: str, entity_types: set[str]) -> list[Contact]:
        """People and organisations whose name, references or contact details hold every word
        (the portal searches people by surname or e-mail: Alter-Igor/Test src/WebBased/Common/OdsHelper.ts)."""
        words = search.casefold().split()
        texts = self._contact_texts
        found: list[Person | Organisation] = []
        contacts: Iterable[Person | Organisation] = chain(self.people.values(), self.organisations.values())
        # One loop with the cached text read inline: a burst of a preview's searches each reads
        # every contact, and a call per contact was most of the sandbox's CPU per search.
        for contact in contacts:
            if entity_types and contact.ods_entity_type not in entity_types:
                continue
            cached = texts.get(contact.id)
            text = cached[1] if cached is not None and cached[0] is contact else self._text(contact)
            for word in words:
                if word not in text:
                    break
            else:
                found.append(contact)
        return sorted(found, key=lambda c: (c.name.casefold(), c.id))

    def _text(self, contact: Contact) -> str:
        """`_contact_text`, worked out once per contact record: a search of a burst of them stays cheap."""
        cached = self._contact_texts.get(contact.id)
        if cached is None or cached[0] is not contact:
            cached = self._contact_texts[contact.id] = (contact, _contact_text(contact))
        return cached[1]

    def search_teams(self, search: str) -> list[Team]:
        found = [t for t in self.teams.values() if _matches_every_word(search, t.name, t.reference)]
        return sorted(found, key=lambda t: (t.name.casefold(), t.id))

    def person_by_external_reference(self, external_reference: str) -> Person:
        for person in self.people.values():
            if person.external_reference == external_reference:
                return person
        raise NotFound(f"No person has the external reference '{external_reference}'")

    def person(self, person_id: str) -> Person:
        return _lookup(self.people, person_id, "Person")

    def organisation(self, organisation_id: str) -> Organisation:
        return _lookup(self.organisations, organisation_id, "Organisation")

    def add_person(self, first_name: str, surname: str, fields: NewContactFields) -> Person:
        if not (first_name or surname):
            raise InvalidRequest("A person needs a first name or a surname")
        person = Person(
            id=str(uuid.uuid4()),
            first_name=first_name,
            surname=surname,
            is_active=fields.is_active,
            reference=fields.reference,
            external_reference=fields.external_reference,
            contact_details=_contact_details("person", fields.contact_details),
            created=datetime.now(UTC),
        )
        self.people[person.id] = person
        self.revision += 1
        return person

    def add_organisation(self, name: str, fields: NewContactFields) -> Organisation:
        if not name:
            raise InvalidRequest("An organisation needs a name")
        organisation = Organisation(
            id=str(uuid.uuid4()),
            name=name,
            is_active=fields.is_active,
            reference=fields.reference,
            external_reference=fields.external_reference,
            contact_details=_contact_details("organisation", fields.contact_details),
            created=datetime.now(UTC),
        )
        self.organisations[organisation.id] = organisation
        self.revision += 1
        return organisation

    # --- work types ----------------------------------------------------------------------

    def work_type(self, system_name: str) -> WorkType:
        return _lookup(self.work_types, system_name, "Work type")

    def lineage(self, system_name: str) -> list[WorkType]:
        """The type and its ancestors, the type first."""
        chain = [self.work_type(system_name)]
        while chain[-1].parent:
            chain.append(self.work_types[chain[-1].parent])
        return chain

    def children(self, system_name: str | None) -> list[WorkType]:
        return [t for t in self.work_types.values() if t.parent == system_name]

    def roles_for(self, type_system_name: str) -> list[ParticipantRole]:
        return [role for work_type in reversed(self.lineage(type_system_name)) for role in work_type.roles]

    def key_dates_for(self, type_system_name: str) -> set[str]:
        return {key_date for work_type in self.lineage(type_system_name) for key_date in work_type.key_dates}

    def is_derived_from(self, type_system_name: str, ancestor: str) -> bool:
        return any(t.system_name == ancestor for t in self.lineage(type_system_name))

    # --- work items ----------------------------------------------------------------------

    def work_item(self, work_item_id: str) -> WorkItem:
        """A work item that is not removed (deleted): a removed one is not found, as on the real API
        (`GET /api/v1/public/workItem/{id}` answers 404 when not found, reference/sharedo-api.md §2.2)."""
        item = _lookup(self.work_items, work_item_id, "Work item")
        if item.phase.is_removed:
            raise NotFound(f"Work item '{work_item_id}' was not found")
        return item

    def form_field_known(self, form: str, field_name: str) -> bool:
        return form in self.forms and field_name in self.forms[form].fields

    def create_work_item(self, new: NewWorkItem) -> WorkItem:
        if new.type_system_name not in self.work_types:
            raise InvalidRequest(f"Unknown work type '{new.type_system_name}'")
        work_type = self.work_types[new.type_system_name]
        if work_type.is_abstract:
            raise InvalidRequest(
                f"Work type '{work_type.system_name}' is abstract; items cannot be created from it"
            )
        if not new.title:
            raise InvalidRequest("A work item needs a title")
        unknown_dates = sorted(set(new.key_dates) - self.key_dates_for(work_type.system_name))
        if unknown_dates:
            raise InvalidRequest(
                f"Key date type(s) {', '.join(unknown_dates)} are not valid for '{work_type.system_name}'"
            )
        participants = [self._participant(work_type, p) for p in new.participants]
        item = WorkItem(
            id=str(uuid.uuid4()),
            type_system_name=work_type.system_name,
            title=new.title,
            reference=new.reference or f"WI-{len(self.work_items) + 1:05d}",
            description=new.description,
            title_is_user_provided=new.title_is_user_provided,
            reference_is_user_provided=new.reference_is_user_provided,
            phase=self.phase_plan.start,
            created=datetime.now(UTC),
            attributes={k: attribute_text(v) for k, v in new.attributes.items() if v is not None},
            form_ids=list(new.form_ids),
            key_dates=dict(new.key_dates),
            other_aspects=dict(new.other_aspects),
            participants=participants,
        )
        index = self._attribute_index
        self.work_items[item.id] = item
        if index is not None and index.work_items is self.work_items:
            index.add(item)
        self.revision += 1
        return item

    def _participant(self, work_type: WorkType, new: NewParticipant) -> Participant:
        roles = {role.system_name: role for role in self.roles_for(work_type.system_name)}
        role = roles.get(new.role_system_name)
        if role is None:
            raise InvalidRequest(
                f"Role '{new.role_system_name}' is not valid for work type '{work_type.system_name}'"
            )
        if new.ods_type is not None and new.ods_type not in ODS_TYPES:
            raise InvalidRequest(
                f"Invalid odsType '{new.ods_type}' for participant '{new.ods_id}' (expected one of: {', '.join(ODS_TYPES)})"
            )
        entity = (
            self.people.get(new.ods_id) or self.organisations.get(new.ods_id) or self.teams.get(new.ods_id)
        )
        if entity is None:
            raise InvalidRequest(f"ODS entity '{new.ods_id}' was not found")
        if new.ods_type is not None and not _entity_is_a(entity, new.ods_type):
            raise InvalidRequest(f"ODS entity '{new.ods_id}' is not a {new.ods_type}")
        # odsType names the entity, and the participant type follows from it: real callers add a
        # user as odsType "person" with the user's id (Alter-Igor/Test
        # _IDE/WKExpressSydneyWater/WKExpressWidgetAgent.js), and the role decides they are a user.
        ods_type = "user" if new.ods_type == "user" else _inferred_participant_type(entity, role)
        if ods_type not in role.allowed_participant_types:
            raise InvalidRequest(
                f"Participant type '{ods_type}' is not allowed in role '{role.system_name}' "
                f"(allowed: {', '.join(role.allowed_participant_types)})"
            )
        return Participant(role=role, ods_id=entity.id, ods_type=ods_type, ods_name=entity.name)

    def find_work_items(self, query: WorkItemQuery) -> list[WorkItem]:
        candidates: Iterable[WorkItem] = self.work_items.values()
        if query.work_item_ids:  # a search by ids reads those items only, as an indexed search would
            candidates = [self.work_items[i] for i in dict.fromkeys(query.work_item_ids) if i in self.work_items]
        elif query.attributes:
            ids = self._index().ids.get(query.attributes[0], set())
            candidates = (self.work_items[work_item_id] for work_item_id in ids)
        return sorted(
            (item for item in candidates if self._matches(item, query)),
            key=lambda item: (item.created, item.id),
        )

    def _index(self) -> _AttributeIndex:
        if self._attribute_index is None or not self._attribute_index.covers(self.work_items):
            self._attribute_index = _AttributeIndex(self.work_items)
        return self._attribute_index

    def _matches(self, item: WorkItem, query: WorkItemQuery) -> bool:
        phase = item.phase
        phase_ok = (
            (query.include_removed and phase.is_removed)
            or (query.include_open and phase.is_open and not phase.is_removed)
            or (query.include_closed and not phase.is_open and not phase.is_removed)
        )
        type_filters = query.include_types or query.include_types_derived_from
        type_ok = (
            not type_filters
            or item.type_system_name in query.include_types
            or any(
                self.is_derived_from(item.type_system_name, ancestor)
                for ancestor in query.include_types_derived_from
            )
        )
        return (
            phase_ok
            and type_ok
            and (not query.work_item_ids or item.id in query.work_item_ids)
            and all(item.attributes.get(key) == value for key, value in query.attributes)
            and (query.reference is None or item.reference == query.reference)
        )

    def delete_work_item(self, work_item_id: str) -> None:
        """Delete it as the portal does: it moves to the removed phase (`matter-deleted`), after
        which searches leave it out and its routes answer 404."""
        item = self.work_item(work_item_id)
        item.phase = next(p for p in self.phase_plan.phases if p.is_removed)
        self.revision += 1

    def update_work_item(self, work_item_id: str, update: WorkItemUpdate) -> None:
        item = self.work_item(work_item_id)
        if update.type_system_name != item.type_system_name:
            raise InvalidRequest(f"The work type of '{work_item_id}' cannot be changed by an update")
        if update.changes.get("title") == "":
            raise InvalidRequest("A work item needs a title")
        if update.key_dates is not None:
            unknown = sorted(set(update.key_dates) - self.key_dates_for(item.type_system_name))
            if unknown:
                raise InvalidRequest(f"Key date type(s) {', '.join(unknown)} are not valid for '{item.type_system_name}'")
            item.key_dates = dict(update.key_dates)
        for name, value in update.changes.items():
            setattr(item, name, value)
        if update.attributes is not None:
            item.attributes = {k: attribute_text(v) for k, v in update.attributes.items() if v is not None}
            self._attribute_index = None
        self.revision += 1

    def add_participant(self, work_item_id: str, new: NewParticipant) -> None:
        """One participant added to an existing work item; the same contact twice in a role is refused."""
        item = self.work_item(work_item_id)
        participant = self._participant(self.work_types[item.type_system_name], new)
        if any(p.role.system_name == participant.role.system_name and p.ods_id == participant.ods_id for p in item.participants):
            raise InvalidRequest(f"'{new.ods_id}' is already a participant in role '{new.role_system_name}'")
        item.participants.append(participant)
        self.revision += 1

    def set_attribute(self, work_item_id: str, name: str, value: object) -> None:
        item = self.work_item(work_item_id)
        if value is None:
            item.attributes.pop(name, None)
        else:
            item.attributes[name] = attribute_text(value)
            if self._attribute_index is not None:
                self._attribute_index.attribute_set(item, name, item.attributes[name])
        self.revision += 1

    def change_phase(self, work_item_id: str, to_phase: str) -> Phase:
        item = self.work_item(work_item_id)
        allowed = {t.to_phase for t in self.phase_plan.transitions_from(item.phase.system_name)}
        if to_phase not in allowed:
            raise InvalidRequest(f"Cannot move from phase '{item.phase.system_name}' to '{to_phase}'")
        item.phase = self.phase_plan.phase(to_phase)
        self.revision += 1
        return item.phase


def _lookup(records: dict[str, R], key: str, what: str) -> R:
    try:
        return records[key]
    except KeyError:
        raise NotFound(f"{what} '{key}' was not found") from None


def _contact_details(entity_type: str, raw: Iterable[dict[str, object]]) -> list[ContactDetail]:
    details = []
    primary: set[str] = set()
    for entry in raw:
        contact_type = str(entry.get("contactTypeSystemName") or "")
        if contact_type not in CONTACT_TYPES[entity_type]:
            raise InvalidRequest("Invalid contact detail type specified for new contact details")
        if entry.get("isPrimary"):
            # One primary per contact type, as every real entity has (sharedoResultsExample.json).
            if contact_type in primary:
                raise InvalidRequest(f"Only one '{contact_type}' contact detail can be primary")
            primary.add(contact_type)
        details.append(
            ContactDetail(
                id=str(uuid.uuid4()),
                contact_type=contact_type,
                value=str(entry.get("contactValue") or ""),
                is_primary=bool(entry.get("isPrimary", False)),
            )
        )
    return details


def _entity_is_a(entity: Contact | Team, ods_type: str) -> bool:
    if ods_type == "user":
        return isinstance(entity, Person) and entity.is_user
    return entity.ods_entity_type == ods_type


def _inferred_participant_type(entity: Contact | Team, role: ParticipantRole) -> str:
    if isinstance(entity, Person) and entity.is_user and "user" in role.allowed_participant_types:
        return "user"
    return entity.ods_entity_type
