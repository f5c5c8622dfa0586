"""Scoring a contact against an Aderant party, and the default rule that follows."""

from __future__ import annotations

from datetime import UTC, datetime

from clients.clio_models import ContactAddress, OdsContact
from plugin.matching import CLOSE_NAME, DEFAULT_RULE, PartyFacts, PreviousLink, match, name_similarity, phone_key

MARY = PartyFacts("person", "Mary Citizen", "ADERANT:90003", email="Mary.Citizen@example.com", phone="(02) 5550 0142", post_code="2042")


def contact(name: str = "Mary Citizen", **fields: object) -> OdsContact:
    return OdsContact(fields.pop("id", "p-1"), "person", name, fields.pop("reference", None), None, **fields)  # type: ignore[arg-type]


def test_the_aderant_reference_alone_is_strong() -> None:
    found = match(MARY, contact("M Citizen", reference="ADERANT:90003"))
    assert found.strong and found.score >= 100
    assert "carries the party's Aderant reference ADERANT:90003" in found.reasons


def test_same_email_and_a_close_name_is_strong_but_the_email_alone_with_another_name_is_not() -> None:
    same = match(MARY, contact(emails=("mary.citizen@EXAMPLE.com",)))
    other_name = match(MARY, contact("Peter Jones", emails=("mary.citizen@example.com",)))

    assert same.strong and "same e-mail Mary.Citizen@example.com" in same.reasons
    assert not other_name.strong and "same e-mail Mary.Citizen@example.com" in other_name.reasons


def test_same_phone_compares_digits_whatever_the_format() -> None:
    found = match(MARY, contact(phones=("+61 2 5550 0142",)))
    assert found.strong and "same phone (02) 5550 0142" in found.reasons
    assert phone_key("+61 2 5550 0142") == phone_key("02-5550-0142") == "255500142"
    assert phone_key("12345") is None


def test_a_look_alike_with_another_email_scores_below_the_same_name_and_postcode() -> None:
    citizen = match(MARY, contact(addresses=(ContactAddress("4 Example Street", "Newtown", "2042"),)))
    citizens = match(MARY, contact("Mary Citizens", id="p-2", emails=("mary.citizens@example.org",), phones=("0400 555 042",)))

    assert not citizen.strong and not citizens.strong, "a name and a postcode are not enough to link by default"
    assert citizen.score > citizens.score
    assert "same postcode 2042" in citizen.reasons and "name 100% similar" in citizen.reasons
    assert {"different e-mail", "different phone"} <= set(citizens.reasons)
    assert citizen.reasons[-1] == "name 100% similar", "no kind reason: every candidate is of the party's kind"


def test_a_remembered_link_is_strong_and_says_who_and_when() -> None:
    previous = PreviousLink("p-1", "sam@firm.example", datetime(2026, 12, 1, 9, 0, tzinfo=UTC))

    remembered = match(MARY, contact(), previous)
    other = match(MARY, contact(id="p-2"), previous)

    assert remembered.strong and "linked before by sam@firm.example on 01 Dec 2026" in remembered.reasons
    assert not other.strong and not any(r.startswith("linked before") for r in other.reasons)


def test_name_similarity_ignores_case_punctuation_and_legal_forms() -> None:
    assert name_similarity("Coastal Freight Pty Ltd", "COASTAL FREIGHT LTD.") == 1.0
    assert name_similarity("Mary Citizen", "Mary Citizens") >= CLOSE_NAME > name_similarity("Mary Citizen", "Peter Jones")


def test_the_rule_is_one_sentence_naming_the_evidence() -> None:
    assert DEFAULT_RULE.count(".") == 1 and DEFAULT_RULE.endswith(".")
    for evidence in ("Aderant reference", "linked this party to it before", "e-mail or phone", "85%", "new contact", "party's kind"):
        assert evidence in DEFAULT_RULE
