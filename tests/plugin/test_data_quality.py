"""Data-quality notes: pure functions over the Aderant data a preview shows."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from plugin.data_quality import looks_like_person, matter_notes, party_notes, phone_parses
from plugin.mapping import apply_mapping
from tests.plugin.fakes import matter, party

TODAY = date(2026, 12, 3)


def mapped_parties(*parties):  # type: ignore[no-untyped-def]
    """The parties as the preview maps them, without the matter's client."""
    return apply_mapping(matter(parties=parties)).parties[1:]


def test_a_party_without_email_or_phone_is_noted() -> None:
    bare, reachable = mapped_parties(party(90003, "Mary Citizen"), replace(party(90004, "Lee Wong"), phone="0400 555 042"))
    assert party_notes(bare, (bare,)) == ["Aderant has no e-mail or phone for this party: the contact will have no way to reach them."]
    assert party_notes(reachable, (reachable,)) == []


def test_an_email_or_phone_that_does_not_parse_is_noted() -> None:
    (p,) = mapped_parties(replace(party(90003, "Mary Citizen"), email="mary at example.com", phone="call reception"))
    notes = party_notes(p, (p,))
    assert "The e-mail 'mary at example.com' does not look like an e-mail address: check it in Aderant." in notes
    assert "The phone 'call reception' does not look like a phone number: check it in Aderant." in notes
    assert phone_parses("+61 (2) 5550-0142") and not phone_parses("123") and not phone_parses("0400 555 042 ext 4")


def test_the_same_person_twice_on_one_matter_is_noted_on_both() -> None:
    first, second, other = mapped_parties(
        replace(party(90003, "Mary Citizen"), email="m@example.com"),
        replace(party(90009, "mary  citizen.", role_code="WIT", role="Witness"), email="m@example.com"),
        replace(party(90004, "Lee Wong"), email="l@example.com"),
    )
    everyone = (first, second, other)
    assert party_notes(first, everyone) == [
        "Mary Citizen is on this matter twice (also as Witness, a different Aderant name): check whether it is the same person."
    ]
    assert len(party_notes(second, everyone)) == 1 and party_notes(other, everyone) == []


def test_a_person_recorded_as_an_organisation_and_the_reverse_are_noted() -> None:
    person_as_org, org_as_person, fine = mapped_parties(
        replace(party(90003, "Mary Citizen", "organisation"), email="m@example.com"),
        replace(party(90004, "Acme Holdings Pty Ltd", "person"), email="a@example.com"),
        replace(party(90005, "Coastal Freight Pty Ltd", "organisation"), email="c@example.com"),
    )
    everyone = (person_as_org, org_as_person, fine)
    assert party_notes(person_as_org, everyone) == [
        "Recorded in Aderant as an organisation, but the name looks like a person's: check its kind in Aderant."
    ]
    assert party_notes(org_as_person, everyone) == [
        "Recorded in Aderant as a person, but the name looks like an organisation's: check its kind in Aderant."
    ]
    assert party_notes(fine, everyone) == []
    assert not looks_like_person("Westpac") and not looks_like_person("Smith & Jones")


def test_a_closed_matter_and_key_dates_out_of_range_are_noted() -> None:
    closed = replace(matter(), closed=True, status="CLOSE", close_date=date(2026, 6, 30))
    assert [n.text for n in matter_notes(closed, apply_mapping(closed), TODAY)] == [
        "This matter is closed in Aderant on 30 Jun 2026: check that it should be imported."
    ]
    future = replace(matter(), open_date=date(2027, 1, 5))
    assert [(n.about, n.text) for n in matter_notes(future, apply_mapping(future), TODAY)] == [
        ("key_date:kd-instruction-date", "The key date kd-instruction-date (2027-01-05) is in the future.")
    ]
    assert matter_notes(matter(), apply_mapping(matter()), TODAY) == []


def test_a_key_date_before_the_matter_opened_is_noted() -> None:
    m = matter()
    mapped = apply_mapping(m)
    early = replace(mapped, key_dates={"kd-instruction-date": "2026-01-01"})
    [note] = matter_notes(m, early, TODAY)
    assert note.text == "The key date kd-instruction-date (2026-01-01) is before the matter opened (02 Mar 2026)."
