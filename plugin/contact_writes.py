"""Contacts an import, or a party added since, writes in Clio Operate: found by the Aderant reference
stamped on the contacts PMS Sync creates, else created with that stamp."""

from __future__ import annotations

from typing import Any

from plugin.mapping import MappedParty


async def find_contact_by_reference(clio: Any, party: MappedParty) -> str | None:
    """The contact stamped with the party's Aderant reference, if Clio Operate has one."""
    found = [c for c in await clio.search_contacts(party.reference) if party.reference in (c.reference, c.external_reference)]
    return found[0].id if found else None


async def create_contact(clio: Any, party: MappedParty) -> str:
    source = party.party
    if party.kind == "organisation":
        return await clio.create_organisation(
            name=party.name, reference=party.reference, external_reference=party.reference,
            email=source.email, phone=source.phone,
        )
    first, _, last = party.name.rpartition(" ")
    return await clio.create_person(
        first_name=source.first_name or first or party.name,
        surname=source.last_name or last,
        reference=party.reference,
        external_reference=party.reference,
        email=source.email,
        direct_line=source.phone,
    )
