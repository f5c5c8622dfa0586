"""The sandbox tenants' changeable records (people, organisations, work items) kept in a JSON file,
so a demo restarted over the same data folder still has what PMS Sync created and remembers.

The file is replaced atomically (a temporary file in the same folder, then a rename), so a demo
stopped mid-save leaves the previous version whole. Users, teams, work types and forms come from
the seed on every start and are not saved.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sandbox.clio.model import Contact, ContactDetail, Location, Organisation, Participant, Person, WorkItem
from sandbox.clio.state import TenantState
from sandbox.clio.tenant import Tenant

log = logging.getLogger("sandbox.saved_state")

FORMAT = 1


@dataclass(frozen=True)
class TenantRecords:
    people: dict[str, Person]
    organisations: dict[str, Organisation]
    work_items: dict[str, WorkItem]

    def restore(self, state: TenantState) -> None:
        state.people, state.organisations, state.work_items = self.people, self.organisations, self.work_items


def read_records(state: TenantState, records: Mapping[str, Any]) -> TenantRecords:
    """The saved records of the tenant whose seed is `state`; KeyError, TypeError or ValueError when
    they do not fit it."""
    people = [Person(**_with_details(r)) for r in records["people"]]
    organisations = [Organisation(**_with_details(r)) for r in records["organisations"]]
    work_items = [_work_item(state, r) for r in records["work_items"]]
    return TenantRecords(
        {p.id: p for p in people}, {o.id: o for o in organisations}, {w.id: w for w in work_items}
    )


def _contact_record(contact: Contact) -> dict[str, Any]:
    return {**asdict(contact), "created": contact.created.isoformat() if contact.created else None}


def _with_details(record: Mapping[str, Any]) -> dict[str, Any]:
    return {
        **record,
        "contact_details": [ContactDetail(**d) for d in record["contact_details"]],
        "locations": [Location(**location) for location in record.get("locations", [])],
        "created": datetime.fromisoformat(record["created"]) if record.get("created") else None,
    }


def _work_item_record(item: WorkItem) -> dict[str, Any]:
    return {
        **{k: v for k, v in asdict(item).items() if k not in ("phase", "created", "participants")},
        "phase": item.phase.system_name,
        "created": item.created.isoformat(),
        "participants": [
            {"role": p.role.system_name, "ods_id": p.ods_id, "ods_type": p.ods_type, "ods_name": p.ods_name}
            for p in item.participants
        ],
    }


def _work_item(state: TenantState, record: Mapping[str, Any]) -> WorkItem:
    type_name = record["type_system_name"]
    roles = {role.system_name: role for role in state.roles_for(type_name)}
    phases = {phase.system_name: phase for phase in state.phase_plan.phases}
    participants = [
        Participant(roles[p["role"]], p["ods_id"], p["ods_type"], p["ods_name"]) for p in record["participants"]
    ]
    return WorkItem(
        **{k: v for k, v in record.items() if k not in ("phase", "created", "participants")},
        phase=phases[record["phase"]],
        created=datetime.fromisoformat(record["created"]),
        participants=participants,
    )


class StateFile:
    """Where the tenants' records are saved, and which changes are saved already.

    A running sandbox saves with `save_changes`: the document is made on the event loop, where the
    records change, so it is one consistent moment; it is written and flushed to disk on a worker
    thread, so the calls being answered meanwhile do not wait for the disk.
    """

    def __init__(self, path: Path, tenants: Mapping[str, Tenant]) -> None:
        self.path = path
        self._tenants = tenants
        self._saved: dict[str, tuple[TenantState, int]] = {}
        # Keyed by tenant and id: the tenants' seeds share their contacts' ids.
        self._contact_records: dict[tuple[str, str], tuple[Contact, dict[str, Any]]] = {}
        self._versions = itertools.count(1)
        self._write_lock = threading.Lock()
        self._written = 0  # the version of the document on disk: an older one never replaces it

    def load(self) -> None:
        """Restore the saved records, if any. A file that cannot be read is moved aside (so nothing
        is overwritten unseen) and the tenants keep their seed."""
        if not self.path.exists():
            self._mark_saved()
            return
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
            if document.get("format") != FORMAT:
                raise ValueError(f"format {document.get('format')!r}, expected {FORMAT}")
            saved = {
                name: read_records(self._tenants[name].state, records)
                for name, records in document["tenants"].items()
                if name in self._tenants
            }
        except (OSError, LookupError, TypeError, ValueError) as exc:
            aside = self.path.with_name(self.path.name + ".unreadable")
            os.replace(self.path, aside)
            log.warning("the sandbox's saved state %s could not be read (%s): moved to %s, starting from the seed",
                        self.path, exc, aside)
        else:
            for name, records in saved.items():
                records.restore(self._tenants[name].state)
        self._mark_saved()

    def changed(self) -> bool:
        """Whether a tenant changed (or was reset) since the last save or load."""
        for name, tenant in self._tenants.items():
            saved = self._saved.get(name)
            if saved is None or saved[0] is not tenant.state or saved[1] != tenant.state.revision:
                return True
        return False

    def revisions(self) -> tuple[tuple[int, int], ...]:
        """Where each tenant's records are now: equal at two moments when nothing changed between."""
        return tuple((id(tenant.state), tenant.state.revision) for tenant in self._tenants.values())

    def save_if_changed(self) -> bool:
        """Save now, if anything changed, and return once it is on disk (on shutdown, in tests)."""
        document = self._document_if_changed()
        if document is None:
            return False
        self._write(*document)
        return True

    def save_on_shutdown(self) -> None:
        """Write the state as it is now and return once it is on disk, whatever was marked saved: a
        write still running on a worker thread (`save_changes`) may not outlive the process."""
        self._write(*self._document())

    async def save_changes(self) -> bool:
        """`save_if_changed` for a running sandbox (the class docstring)."""
        document = self._document_if_changed()
        if document is None:
            return False
        await asyncio.to_thread(self._write, *document)
        return True

    def _document_if_changed(self) -> tuple[int, str] | None:
        """`_document`; None when nothing changed."""
        return self._document() if self.changed() else None

    def _document(self) -> tuple[int, str]:
        """The document to save and its version, marked saved."""
        tenants = {name: self._tenant_records(name, tenant.state) for name, tenant in self._tenants.items()}
        text = json.dumps({"format": FORMAT, "tenants": tenants}, ensure_ascii=False)
        self._mark_saved()
        return next(self._versions), text

    def _tenant_records(self, tenant: str, state: TenantState) -> dict[str, Any]:
        """A tenant's changeable records; each contact's is made once, as contacts do not change."""
        return {
            "people": [self._contact_record(tenant, person) for person in state.people.values()],
            "organisations": [
                self._contact_record(tenant, organisation) for organisation in state.organisations.values()
            ],
            "work_items": [_work_item_record(item) for item in state.work_items.values()],
        }

    def _contact_record(self, tenant: str, contact: Contact) -> dict[str, Any]:
        key = (tenant, contact.id)
        cached = self._contact_records.get(key)
        if cached is None or cached[0] is not contact:
            cached = self._contact_records[key] = (contact, _contact_record(contact))
        return cached[1]

    def _write(self, version: int, text: str) -> None:
        with self._write_lock:
            if version < self._written:
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(
                "w", encoding="utf-8", dir=self.path.parent, prefix=f".{self.path.name}.", delete=False
            ) as temporary:
                temporary.write(text)
                temporary.flush()
                os.fsync(temporary.fileno())
            os.replace(temporary.name, self.path)
            self._written = version

    def _mark_saved(self) -> None:
        self._saved = {name: (tenant.state, tenant.state.revision) for name, tenant in self._tenants.items()}


class SaveSchedule:
    """When a running sandbox saves: at the first check that finds changes not yet saved and none
    since the check before, so the save (its document is made on the event loop) falls between
    bursts of calls instead of delaying their answers; at the latest `most_checks` checks after
    the first unsaved change, should the calls never stop."""

    def __init__(self, state_file: StateFile, most_checks: int) -> None:
        self.state_file = state_file
        self.most_checks = most_checks
        self._last = state_file.revisions()
        self._unsaved_checks = 0

    def due(self) -> bool:
        """Whether to save now; called once per check."""
        revisions = self.state_file.revisions()
        quiet, self._last = revisions == self._last, revisions
        if not self.state_file.changed():
            self._unsaved_checks = 0
            return False
        self._unsaved_checks += 1
        if quiet or self._unsaved_checks >= self.most_checks:
            self._unsaved_checks = 0
            return True
        return False
