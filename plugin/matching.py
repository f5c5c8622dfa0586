"""How well an existing Clio Operate contact fits an Aderant party, with the reasons, and the
default decision that follows from them.

Evidence and points: the contact carries the party's Aderant reference (100); an import linked
the party to it before (90); the same e-mail, case ignored (40); the same phone, compared on the
last 9 digits so "+61 2 5550 0100" and "(02) 5550 0100" agree (30); the same postcode (10); name
similarity, difflib's ratio of the two names with case, punctuation and legal forms ignored
(up to 20); a differing e-mail or phone takes 10 off each. Only contacts of the party's kind
(person or organisation) are candidates at all, so kind gives no reason of its own: the rule
says so instead.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass
from datetime import datetime

from clients.aderant_models import Party
from clients.clio_models import OdsContact

NOT_DIGIT = re.compile(r"\D")
PUNCTUATION = re.compile(r"[^\w\s]")
CLOSE_NAME = 0.85  # the name similarity from which a shared e-mail or phone makes a match strong
PHONE_DIGITS = 9
LEGAL_FORMS = frozenset({
    "pty", "ltd", "limited", "proprietary", "inc", "incorporated", "llc", "llp", "plc", "corp", "corporation", "co", "company",
})
DEFAULT_RULE = (
    "Only contacts of the party's kind (person or organisation) are candidates, and a party is linked by default "
    "only on strong evidence: the contact carries the party's Aderant reference, an import linked this party to it "
    "before, or it shares the party's e-mail or phone and its name is at least "
    f"{CLOSE_NAME:.0%} similar; otherwise a new contact is created."
)


@dataclass(frozen=True)
class PartyFacts:
    """What the party's Aderant record says that a contact can be compared with."""

    kind: str
    name: str
    reference: str
    email: str | None = None
    phone: str | None = None
    post_code: str | None = None

    @classmethod
    def of(cls, party: Party, reference: str) -> PartyFacts:
        return cls(
            kind=party.kind, name=party.display_name, reference=reference, email=party.email, phone=party.phone,
            post_code=party.address.post_code if party.address else None,
        )


@dataclass(frozen=True)
class PreviousLink:
    ods_id: str
    linked_by: str
    linked_at: datetime


@dataclass(frozen=True)
class Match:
    score: int
    reasons: tuple[str, ...]
    strong: bool


def match(party: PartyFacts, contact: OdsContact, previous: PreviousLink | None = None) -> Match:
    score, reasons = 0, []
    exact = party.reference in (contact.reference, contact.external_reference)
    if exact:
        score += 100
        reasons.append(f"carries the party's Aderant reference {party.reference}")
    remembered = previous is not None and previous.ods_id == contact.id
    if previous is not None and remembered:
        score += 90
        reasons.append(f"linked before by {previous.linked_by} on {previous.linked_at:%d %b %Y}")
    same_email = bool(party.email) and contact.has_email(party.email or "")
    if same_email:
        score += 40
        reasons.append(f"same e-mail {party.email}")
    elif party.email and contact.emails:
        score -= 10
        reasons.append("different e-mail")
    wanted = phone_key(party.phone)
    phones = {phone_key(p) for p in contact.phones} - {None}
    same_phone = wanted is not None and wanted in phones
    if same_phone:
        score += 30
        reasons.append(f"same phone {party.phone}")
    elif wanted is not None and phones:
        score -= 10
        reasons.append("different phone")
    post_code = (party.post_code or "").strip().casefold()
    if post_code and post_code in {(a.post_code or "").strip().casefold() for a in contact.addresses}:
        score += 10
        reasons.append(f"same postcode {party.post_code}")
    similarity = name_similarity(party.name, contact.name)
    score += round(similarity * 20)
    reasons.append(f"name {similarity:.0%} similar")
    strong = exact or remembered or ((same_email or same_phone) and similarity >= CLOSE_NAME)
    return Match(score, tuple(reasons), strong)


def phone_key(phone: str | None) -> str | None:
    """The last 9 digits of a phone number, or None when it has fewer than 8."""
    digits = NOT_DIGIT.sub("", phone or "")
    return digits[-PHONE_DIGITS:] if len(digits) >= 8 else None


@functools.lru_cache(maxsize=4096)
def comparable_name(name: str) -> str:
    """Kept for the names seen lately: a preview compares each party's name with every other
    party's (plugin/data_quality.py) and with each candidate's."""
    words = PUNCTUATION.sub(" ", name.casefold()).split()
    kept = [w for w in words if w not in LEGAL_FORMS]
    return " ".join(kept or words)


@functools.lru_cache(maxsize=8192)
def name_similarity(a: str, b: str) -> float:
    """Kept for the pairs seen lately: staff preview the same matter again (and each preview of it
    compares the same names), and difflib's ratio is the largest part of a preview's matching."""
    return difflib.SequenceMatcher(None, comparable_name(a), comparable_name(b)).ratio()
