"""Change the sandbox's Aderant data while it runs, as the firm's staff would in Aderant: a matter's
title, status, dates, office, department or type, and the parties linked to it. Drives drift and
close-sync end to end (`POST /_sandbox/aderant/matters/{matter_number}`, sandbox/README.md)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, func, select

from sandbox.aderant_db import (
    DEPARTMENTS,
    HBM_MATTER,
    HBM_NAME,
    MATTER_PARTY,
    MATTER_TYPES,
    NO_ADDRESS,
    OFFICES,
    PARTY_ROLES,
    STATUSES,
)

# Fields of the control's body → the HBM_MATTER column (and the longest text, or the codes, it takes).
TEXT_FIELDS = {"title": ("MATTER_NAME", 40), "long_title": ("LONG_MATT_NAME", 250)}
CODE_FIELDS = {
    "status": ("STATUS_CODE", STATUSES),
    "office": ("OFFC", OFFICES),
    "department": ("DEPT", DEPARTMENTS),
    "matter_type": ("MATT_TYPE_CODE", MATTER_TYPES),
}
DATE_FIELDS = {"open_date": "OPEN_DATE", "close_date": "CLOSE_DATE"}
PARTY_FIELDS = ("add_parties", "remove_parties")
KNOWN = (*TEXT_FIELDS, *CODE_FIELDS, *DATE_FIELDS, *PARTY_FIELDS)


class BadChange(ValueError):
    """The change asked for cannot be made as given; the message says why."""


class AderantChanges:
    """Writes to the sandbox's Aderant database (the agent only reads it)."""

    def __init__(self, database_url: str) -> None:
        self.engine: Engine = create_engine(database_url)

    def change_matter(self, matter_number: str, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Apply `changes` to the matter in one transaction; what was changed, by field.
        LookupError for an unknown matter, BadChange for anything not as documented."""
        unknown = sorted(set(changes) - set(KNOWN))
        if unknown:
            raise BadChange(f"Unknown field {unknown[0]!r}: use {', '.join(KNOWN)}.")
        values = {**self._text(changes), **self._codes(changes), **self._dates(changes)}
        with self.engine.begin() as conn:
            matter_uno = conn.execute(
                select(HBM_MATTER.c.MATTER_UNO).where(HBM_MATTER.c.MATTER_CODE == matter_number)
            ).scalar()
            if matter_uno is None:
                raise LookupError(f"Matter {matter_number} was not found")
            if values:
                conn.execute(HBM_MATTER.update().where(HBM_MATTER.c.MATTER_UNO == matter_uno).values(**values))
            added = [self._add_party(conn, matter_uno, party) for party in _parties(changes, "add_parties")]
            removed = [self._remove_party(conn, matter_uno, party) for party in _parties(changes, "remove_parties")]
        changed: dict[str, Any] = {name: changes[name] for name in (*TEXT_FIELDS, *CODE_FIELDS, *DATE_FIELDS) if name in changes}
        if added:
            changed["add_parties"] = added
        if removed:
            changed["remove_parties"] = removed
        return changed

    def dispose(self) -> None:
        self.engine.dispose()

    @staticmethod
    def _text(changes: Mapping[str, Any]) -> dict[str, str]:
        values = {}
        for name, (column, limit) in TEXT_FIELDS.items():
            if name in changes:
                value = changes[name]
                if not isinstance(value, str) or not value.strip() or len(value) > limit:
                    raise BadChange(f"{name} must be text of 1 to {limit} characters.")
                values[column] = value
        return values

    @staticmethod
    def _codes(changes: Mapping[str, Any]) -> dict[str, str]:
        values = {}
        for name, (column, codes) in CODE_FIELDS.items():
            if name in changes:
                if changes[name] not in codes:
                    raise BadChange(f"{name} must be one of {', '.join(codes)}.")
                values[column] = changes[name]
        return values

    @staticmethod
    def _dates(changes: Mapping[str, Any]) -> dict[str, Any]:
        values = {}
        for name, column in DATE_FIELDS.items():
            if name in changes:
                value = changes[name]
                try:
                    values[column] = None if value is None else datetime.combine(date.fromisoformat(value), time())
                except (TypeError, ValueError):
                    raise BadChange(f"{name} must be a date as YYYY-MM-DD, or null.") from None
        return values

    def _add_party(self, conn: Connection, matter_uno: int, party: Mapping[str, Any]) -> dict[str, Any]:
        """Link a name in a role: an existing name by `name_uno`, or a new one by `name` (`kind`
        "P" with `first_name` and `last_name`, or "O", the default)."""
        role = party.get("role")
        if role not in PARTY_ROLES:
            raise BadChange(f"A party's role must be one of {', '.join(PARTY_ROLES)}.")
        if "name_uno" in party:
            name_uno = party["name_uno"]
            if conn.execute(select(HBM_NAME.c.NAME_UNO).where(HBM_NAME.c.NAME_UNO == name_uno)).scalar() is None:
                raise BadChange(f"No name has name_uno {name_uno!r}.")
        else:
            name_uno = self._new_name(conn, party)
        linked = conn.execute(
            select(MATTER_PARTY.c.NAME_UNO).where(
                MATTER_PARTY.c.MATTER_UNO == matter_uno, MATTER_PARTY.c.NAME_UNO == name_uno,
                MATTER_PARTY.c.PARTY_ROLE_CODE == role,
            )
        ).scalar()
        if linked is None:
            conn.execute(MATTER_PARTY.insert().values(MATTER_UNO=matter_uno, NAME_UNO=name_uno, PARTY_ROLE_CODE=role))
        return {"name_uno": name_uno, "role": role}

    @staticmethod
    def _new_name(conn: Connection, party: Mapping[str, Any]) -> int:
        name, kind = party.get("name"), party.get("kind", "O")
        if not isinstance(name, str) or not name.strip() or len(name) > 120 or kind not in ("P", "O"):
            raise BadChange('A new party needs "name" (text) and "kind" "P" or "O", or give "name_uno".')
        first, last = party.get("first_name") or "", party.get("last_name") or ""
        name_uno = (conn.execute(select(func.max(HBM_NAME.c.NAME_UNO))).scalar() or 0) + 1
        sort_key = f"{last}, {first}" if kind == "P" and last else name
        conn.execute(
            HBM_NAME.insert().values(
                NAME_UNO=name_uno, NAME=name, NAME_SORT=sort_key.upper(), NAME_TYPE=kind, FIRST_NAME=first,
                MIDDLE_NAME="", LAST_NAME=last, ADDRESS_UNO=NO_ADDRESS, PEOPLE_NAME_UNO=0, INACTIVE="N",
            )
        )
        return name_uno

    @staticmethod
    def _remove_party(conn: Connection, matter_uno: int, party: Mapping[str, Any]) -> dict[str, Any]:
        """Unlink a name from the matter: in `role`, or in every role when none is given."""
        name_uno = party.get("name_uno")
        where = [MATTER_PARTY.c.MATTER_UNO == matter_uno, MATTER_PARTY.c.NAME_UNO == name_uno]
        if "role" in party:
            where.append(MATTER_PARTY.c.PARTY_ROLE_CODE == party["role"])
        if conn.execute(MATTER_PARTY.delete().where(*where)).rowcount == 0:
            raise BadChange(f"Name {name_uno!r} is not a party of this matter{' in that role' if 'role' in party else ''}.")
        return {"name_uno": name_uno, **({"role": party["role"]} if "role" in party else {})}


def _parties(changes: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    parties = changes.get(name, [])
    if not isinstance(parties, list) or not all(isinstance(p, dict) for p in parties):
        raise BadChange(f"{name} must be a list of objects.")
    return parties
