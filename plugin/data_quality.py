"""Notes on the Aderant data a preview shows: they inform staff, and never stop an import.

Heuristics, stated: an e-mail parses when it is one `local@domain.tld` with no spaces; a phone
parses when it holds only digits, spaces and `+ - ( ) .`, with 8 to 15 digits. A party is the
same person twice when two parties of the matter (different Aderant names) have the same name,
case and punctuation ignored. A person looks recorded as an organisation when an organisation's
name has no organisation word (a legal form, or words like Group, Holdings, Partners) and is two
or three capitalised words; an organisation looks recorded as a person when a person's name has
such a word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from clients.aderant_models import MatterDetail
from plugin.mapping import MappedMatter, MappedParty
from plugin.matching import LEGAL_FORMS, NOT_DIGIT, comparable_name

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
PHONE_CHARACTERS = re.compile(r"^[\d\s+\-().]+$")
NOT_A_WORD = re.compile(r"[^\w\s&]")
ORGANISATION_WORDS = LEGAL_FORMS | frozenset({
    "group", "holdings", "partners", "partnership", "lawyers", "solicitors", "associates", "bank", "council",
    "trust", "trustee", "trustees", "insurance", "services", "industries", "enterprises", "foundation",
    "association", "society", "university", "school", "government", "department", "authority", "club", "&", "and",
})


@dataclass(frozen=True)
class Note:
    about: str  # a party key, or "matter", or "key_date:<type>"
    text: str


def party_notes(party: MappedParty, parties: tuple[MappedParty, ...]) -> list[str]:
    source = party.party
    notes = []
    if not source.email and not source.phone:
        notes.append("Aderant has no e-mail or phone for this party: the contact will have no way to reach them.")
    if source.email and not EMAIL.match(source.email.strip()):
        notes.append(f"The e-mail {source.email!r} does not look like an e-mail address: check it in Aderant.")
    if source.phone and not phone_parses(source.phone):
        notes.append(f"The phone {source.phone!r} does not look like a phone number: check it in Aderant.")
    name = comparable_name(party.name)
    twins = [p for p in parties if p.name_uno != party.name_uno and comparable_name(p.name) == name]
    for twin in twins:
        notes.append(
            f"{party.name} is on this matter twice (also as {twin.aderant_role or twin.role}, a different Aderant name): "
            "check whether it is the same person."
        )
    if party.kind == "organisation" and looks_like_person(party.name):
        notes.append("Recorded in Aderant as an organisation, but the name looks like a person's: check its kind in Aderant.")
    if party.kind == "person" and has_organisation_word(party.name):
        notes.append("Recorded in Aderant as a person, but the name looks like an organisation's: check its kind in Aderant.")
    return notes


def matter_notes(matter: MatterDetail, mapped: MappedMatter, today: date) -> list[Note]:
    notes = []
    if matter.closed:
        when = f" on {matter.close_date:%d %b %Y}" if matter.close_date else ""
        notes.append(Note("matter", f"This matter is closed in Aderant{when}: check that it should be imported."))
    for key_date, value in mapped.key_dates.items():
        try:
            day = date.fromisoformat(value[:10])
        except ValueError:
            continue
        if day > today:
            notes.append(Note(f"key_date:{key_date}", f"The key date {key_date} ({value}) is in the future."))
        elif matter.open_date and day < matter.open_date:
            notes.append(Note(
                f"key_date:{key_date}",
                f"The key date {key_date} ({value}) is before the matter opened ({matter.open_date:%d %b %Y}).",
            ))
    return notes


def phone_parses(phone: str) -> bool:
    return bool(PHONE_CHARACTERS.match(phone)) and 8 <= len(NOT_DIGIT.sub("", phone)) <= 15


def has_organisation_word(name: str) -> bool:
    words = NOT_A_WORD.sub(" ", name.casefold()).split()
    return any(word in ORGANISATION_WORDS for word in words)


def looks_like_person(name: str) -> bool:
    words = name.replace(".", " ").split()
    return 2 <= len(words) <= 3 and not has_organisation_word(name) and all(w[:1].isupper() and w.isalpha() for w in words)
