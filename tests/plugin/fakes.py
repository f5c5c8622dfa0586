"""Fakes for the use-case tests: an agent and a Clio Operate that answer from memory."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from clients.aderant_models import CodeDescription, Employee, MatterDetail, MatterSummary, Page, Party
from clients.clio_models import (
    FormField,
    NewWorkItem,
    OdsContact,
    WorkItemKeyDates,
    WorkItemParticipant,
    WorkItemPhase,
    WorkItemRef,
    WorkType,
)
from clients.errors import RemoteError, RemoteNotFound, RemoteTimeout
from plugin.mapping import DEFAULT_MAPPING
from store.repository import EnvironmentSettings


def party(name_uno: int, name: str, kind: str = "person", role_code: str | None = "ADV", role: str | None = "Adverse party") -> Party:
    return Party(name_uno, kind, name, None, None, None, None, role_code, role, None, None, None)  # type: ignore[arg-type]


def matter(number: str = "82001", *, uno: int = 82001, parties: tuple[Party, ...] = (), dept: str = "LIT") -> MatterDetail:
    return MatterDetail(
        matter_uno=uno,
        matter_number=number,
        title="Harbour Holdings v Coastal Freight",
        client_uno=8001,
        client_code=" cl080001 ",
        client_name="Harbour Holdings Pty Ltd",
        status="OPEN",
        status_description="Open",
        closed=False,
        open_date=date(2026, 3, 2),
        close_date=None,
        long_title="Long title",
        matter_type=CodeDescription("LIT", "Litigation"),
        office=CodeDescription("SYD", "Sydney"),
        department=CodeDescription(dept, "Dept"),
        responsible_employee=Employee(501, "JSM", "Jane Smith"),
        billing_employee=None,
        client_party=party(90001, "Harbour Holdings Pty Ltd", "organisation", "CLIENT", "Client"),
        parties=parties,
    )


@dataclass
class FakeAgent:
    matters: dict[str, MatterDetail] = field(default_factory=dict)
    calls: list[tuple] = field(default_factory=list)
    error: RemoteError | None = None

    async def search_matters(self, q: str, *, offset: int = 0, limit: int = 25) -> Page[MatterSummary]:
        self.calls.append(("search", q) if offset == 0 else ("search", q, offset))
        if self.error:
            raise self.error
        hits = [m for m in self.matters.values() if q.lower() in (m.matter_number + m.title).lower()]
        more = len(hits) > offset + limit
        return Page(tuple(hits[offset:offset + limit]), offset + limit if more else None)

    async def matters_opened_since(self, client_codes: tuple[str, ...], since: date) -> list[MatterSummary]:
        self.calls.append(("opened_since", client_codes, since))
        return [
            m for m in self.matters.values()
            if m.client_code.strip().upper() in client_codes and (m.open_date is None or m.open_date >= since)
        ]

    async def matter_details(self, matter_unos: list[int]) -> list[MatterDetail]:
        self.calls.append(("details", len(matter_unos)))
        if self.error:
            raise self.error
        wanted = set(matter_unos)
        return [m for m in self.matters.values() if m.matter_uno in wanted]

    async def get_matter(self, matter_number: str) -> MatterDetail:
        self.calls.append(("get", matter_number))
        if self.error:
            raise self.error
        if matter_number not in self.matters:
            raise RemoteNotFound("Aderant", "Production", f"Matter {matter_number} was not found")
        return self.matters[matter_number]


PARTIES = ["person", "organisation"]


def role(system_name: str, allowed: list, team: bool = False) -> dict:
    """A role as the modeller lists it, and as an administrator loads it."""
    return {"systemName": system_name, "name": system_name.replace("-", " ").capitalize(), "isTeamRole": team,
            "isSecurityTeamRole": team, "allowedParticipantTypes": allowed}


ROLES = [
    role("client", PARTIES),
    role("other-side", PARTIES),
    role("other-side-solicitor", PARTIES),
    role("interested-party", PARTIES),
    role("witness", ["person"]),
    role("contributor", ["team", "user"], team=True),
    role("reader", ["team"], team=True),
]


def form_fields(form_data: dict) -> dict[FormField, object]:
    """A created work item's form data, on the default mapping's identity form."""
    return {FormField(DEFAULT_MAPPING.identity.form, name): value for name, value in form_data.items()}


@dataclass
class FakeClio:
    contacts: list[OdsContact] = field(default_factory=list)
    work_items: list[WorkItemRef] = field(default_factory=list)
    calls: list[tuple] = field(default_factory=list)
    error: RemoteError | None = None
    # Writes: the next call of a method fails before writing, or writes and then loses its answer.
    failing: dict[str, RemoteError] = field(default_factory=dict)
    losing: set[str] = field(default_factory=set)
    # Search lags behind writes: a new work item is missed by this many searches.
    index_lag: int = 0
    unindexed: dict[str, int] = field(default_factory=dict)
    bodies: list[dict] = field(default_factory=list)
    # Work items deleted in Clio Operate: searches miss them and their routes answer 404.
    deleted: set[str] = field(default_factory=set)
    work_types: list[WorkType] = field(default_factory=list)
    concurrency: int = 4
    # Each work item's key dates and participants, as created (then as edited by a test).
    dates: dict[str, dict[str, object]] = field(default_factory=dict)
    participating: dict[str, list[WorkItemParticipant]] = field(default_factory=dict)
    # Contact searches wait until this many are in flight together (0: none waits); one left
    # waiting a second fails, as searches made one after another would.
    searches_together: int = 0
    searches_in_flight: int = field(default=0, init=False)
    most_searches_in_flight: int = field(default=0, init=False)
    all_searching: asyncio.Event = field(default_factory=asyncio.Event, init=False)

    def delete(self, work_item_id: str) -> None:
        self.work_items = [w for w in self.work_items if w.id != work_item_id]
        self.deleted.add(work_item_id)

    async def phase(self, work_item_id: str) -> WorkItemPhase:
        self.calls.append(("phase", work_item_id))
        if work_item_id in self.deleted:
            raise RemoteNotFound("Clio Operate", "Production", f"Work item {work_item_id} was not found")
        return WorkItemPhase("matter-handling", ())

    async def recent_work_type_tree(self) -> list[WorkType]:
        self.calls.append(("work_type_tree",))
        if self.error:
            raise self.error
        return self.work_types

    async def search_contacts(self, text: str, *, kinds: tuple[str, ...] = ("person", "organisation"), **_: object) -> list[OdsContact]:
        self.calls.append(("search_contacts", text))
        if self.searches_together:
            await self._wait_for_the_other_searches()
        if self.error:
            raise self.error
        words = text.lower().split()
        return [
            c for c in self.contacts
            if c.kind in kinds and all(w in " ".join((c.name, *c.emails)).lower() for w in words)
        ]

    async def _wait_for_the_other_searches(self) -> None:
        self.searches_in_flight += 1
        self.most_searches_in_flight = max(self.most_searches_in_flight, self.searches_in_flight)
        if self.searches_in_flight >= self.searches_together:
            self.all_searching.set()
        try:
            await asyncio.wait_for(self.all_searching.wait(), timeout=1.0)
        except TimeoutError:
            raise AssertionError(
                f"only {self.searches_in_flight} of {self.searches_together} contact searches were in flight together"
            ) from None
        finally:
            self.searches_in_flight -= 1

    async def find_work_items(
        self, *, attributes: dict[FormField, str] | None = None, work_item_ids: list[str] | None = None, **_: object
    ) -> list[WorkItemRef]:
        self.calls.append(("find_work_items", attributes) if work_item_ids is None else ("find_work_items", len(work_item_ids)))
        if self.error:
            raise self.error
        hidden = {i for i, searches in self.unindexed.items() if searches > 0}
        self.unindexed = {i: searches - 1 for i, searches in self.unindexed.items()}
        return [
            w for w in self.work_items
            if w.id not in hidden and all(w.attributes.get(k) == v for k, v in (attributes or {}).items())
            and (work_item_ids is None or w.id in work_item_ids)
        ]

    async def key_dates(self, work_item_id: str) -> WorkItemKeyDates | None:
        self.calls.append(("key_dates", work_item_id))
        if work_item_id in self.deleted:
            raise RemoteNotFound("Clio Operate", "Production", f"Work item {work_item_id} was not found")
        return WorkItemKeyDates.from_json({"keyDates": self.dates[work_item_id]}) if work_item_id in self.dates else None

    async def participants(self, work_item_id: str) -> list[WorkItemParticipant]:
        self.calls.append(("participants", work_item_id))
        if work_item_id in self.deleted:
            raise RemoteNotFound("Clio Operate", "Production", f"Work item {work_item_id} was not found")
        return self.participating.get(work_item_id, [])

    async def create_person(self, *, first_name: str, surname: str, reference: str | None = None, **_: object) -> str:
        return self._write("create_person", lambda: self._contact("person", f"{first_name} {surname}", reference))

    async def create_organisation(self, *, name: str, reference: str | None = None, **_: object) -> str:
        return self._write("create_organisation", lambda: self._contact("organisation", name, reference))

    async def create_work_item(self, new: NewWorkItem) -> str:
        body = new.to_json()

        def create() -> str:
            item = WorkItemRef(
                f"wi-{len(self.work_items) + 1}", body["workItem"]["title"], body["workItem"]["reference"],
                body["workItem"]["sharedoTypeSystemName"], "matter-handling", form_fields(body["aspectData"]["formBuilder"]["formData"]),
            )
            self.work_items.append(item)
            self.bodies.append(body)
            self.dates[item.id] = dict(body["keyDates"])
            self.participating[item.id] = [
                WorkItemParticipant(p["roleSystemName"], p["odsId"], p["odsReference"], p["odsType"]) for p in body["participants"]
            ]
            self.unindexed[item.id] = self.index_lag
            return item.id

        return self._write("create_work_item", create)

    def _contact(self, kind: str, name: str, reference: str | None) -> str:
        contact = OdsContact(f"{kind}-{len(self.contacts) + 1}", kind, name, reference, reference)  # type: ignore[arg-type]
        self.contacts.append(contact)
        return contact.id

    def _write(self, method: str, write: Callable[[], str]) -> str:
        self.calls.append((method,))
        if method in self.failing:
            raise self.failing.pop(method)
        written = write()
        if method in self.losing:
            self.losing.discard(method)
            raise RemoteTimeout("Clio Operate", "Production", "no answer before the time limit")
        return written


@dataclass
class FakeConnections:
    agent_client: FakeAgent
    clio_client: FakeClio

    def agent(self, env: EnvironmentSettings) -> FakeAgent:
        return self.agent_client

    def clio(self, env: EnvironmentSettings) -> FakeClio:
        return self.clio_client
