"""History → Drift as an administrator uses it, on the sandbox: a matter changed in Aderant (new
party, changed title, moved key date) and its work item edited in Clio Operate; the page shows each
kind and filters by it; applying the changes from Aderant writes Clio Operate once however often it
is submitted, never overwrites an edit made there unless the Aderant value is chosen for it, and is
in History and the audit trail."""

from __future__ import annotations

import asyncio
import re

from sqlmodel import Session, select

from plugin.drift_apply import ALREADY, BEING_APPLIED, NO_LONGER, Selection, apply_drift_changes
from sandbox.aderant_changes import AderantChanges
from sandbox.aderant_db import LEE_WONG
from sandbox.clio.state import NewContactFields
from store.models import AuditEvent, DriftChange, ImportAttempt
from tests.sync.conftest import import_matter
from tests.sync.test_sync_pages import admin, csrf
from tests.views.conftest import Service

DRIFT = "/history/drift?environment=1"
NUMBER = "82001"
TITLE = "Harbour v Coastal Freight (appeal)"
PARTY = f"party:{LEE_WONG.name_uno}"
KEY_DATE = "key_date:kd-instruction-date"


def rows(html: str) -> set[tuple[str, str]]:
    return set(re.findall(r'<tr data-kind="(\w+)" data-field="([^"]+)">', html))


def change(field: str) -> str:
    return f"{NUMBER}|{field}"


def writes(service: Service, work_item_id: str) -> list[tuple[str, str]]:
    """The writes the tenant received for the work item: (method, path after the work item id)."""
    return [
        (c.method, c.path.split(work_item_id, 1)[1])
        for c in service.calls.calls
        if work_item_id in c.path and c.method in ("PUT", "POST")
    ]


def drifted(service: Service) -> str:
    """Import 82001, then change it in Aderant (title, a new party, the open date that becomes a key
    date) and in Clio Operate (an attribute, and the same key date to another value): the work item id."""
    work_item_id = import_matter(service, NUMBER)
    aderant = AderantChanges(service.aderant_url)  # this test's own copy of the Aderant database
    try:
        aderant.change_matter(NUMBER, {
            "title": TITLE, "open_date": "2026-05-05", "add_parties": [{"name_uno": LEE_WONG.name_uno, "role": "WIT"}],
        })
    finally:
        aderant.dispose()
    item = service.tenant().state.work_items[work_item_id]
    item.attributes["aderant-office"] = "Melbourne"
    item.key_dates["kd-instruction-date"] = "2026-04-01"
    return work_item_id


def test_the_drift_page_shows_each_kind_and_filters_by_it(service: Service) -> None:
    work_item_id = drifted(service)
    service.tenant().state.work_items[work_item_id].attributes["aderant-office"] = "<b>Melbourne</b>"
    admin(service, DRIFT)

    page = service.client.get(DRIFT).text

    assert rows(page) == {
        ("aderant_only", "title"), ("party_added", PARTY), ("both", KEY_DATE), ("clio_only", "attribute:aderant-office"),
    }
    assert TITLE in page and "&lt;b&gt;Melbourne&lt;/b&gt;" in page and "<b>Melbourne" not in page and "2026-04-01" in page
    assert re.findall(r'name="change" value="([^"]+)"', page) == [change("title"), change(PARTY)]
    assert re.findall(r'name="use_aderant" value="([^"]+)"', page) == [change(KEY_DATE)], "a conflict: only by choice"
    assert rows(service.client.get(DRIFT + "&kind=aderant_only").text) == {("aderant_only", "title")}
    assert rows(service.client.get(DRIFT + "&kind=both").text) == {("both", KEY_DATE)}
    assert rows(service.client.get(DRIFT + "&kind=clio_only").text) == {("clio_only", "attribute:aderant-office")}
    assert rows(service.client.get(DRIFT + "&kind=party_added").text) == {("party_added", PARTY)}
    nothing = service.client.get(DRIFT + "&kind=party_removed").text
    assert rows(nothing) == set() and 'id="no-drift"' in nothing
    assert service.client.get(DRIFT + "&kind=other").status_code == 400


def test_applying_twice_writes_clio_operate_once_and_a_conflict_only_when_chosen(service: Service) -> None:
    work_item_id = drifted(service)
    token = admin(service, DRIFT)
    service.calls.clear()
    ticked = {"csrf_token": token, "apply": "selected", "change": [change("title"), change(PARTY), change(KEY_DATE)]}

    forged = service.client.post(DRIFT, data={**ticked, "csrf_token": "forged"})
    assert forged.status_code == 403 and writes(service, work_item_id) == []

    first = service.client.post(DRIFT, data=ticked)
    again = service.client.post(DRIFT, data=ticked)  # a double click

    assert first.status_code == again.status_code == 200
    assert writes(service, work_item_id) == [("PUT", ""), ("POST", "/participants")], "each written once"
    item = service.tenant().state.work_items[work_item_id]
    assert item.title == TITLE
    assert item.key_dates["kd-instruction-date"] == "2026-04-01", "the edit in Clio Operate is not overwritten"
    assert item.attributes["aderant-office"] == "Melbourne"
    assert [p.ods_name for p in item.participants if p.ods_name == LEE_WONG.name] == [LEE_WONG.name]
    assert 'data-change="82001|key_date:kd-instruction-date"' in first.text and "In conflict with an edit in Clio Operate" in first.text
    assert "No longer differs from Aderant" in again.text
    assert rows(again.text) == {("both", KEY_DATE), ("clio_only", "attribute:aderant-office")}, "the baseline moved on"

    chosen = service.client.post(DRIFT, data={"csrf_token": token, "apply": "selected", "use_aderant": change(KEY_DATE)})

    assert item.key_dates["kd-instruction-date"] == "2026-05-05", "the Aderant value, chosen for the conflict"
    assert rows(chosen.text) == {("clio_only", "attribute:aderant-office")}
    with Session(service.store.engine) as session:
        history = session.exec(select(ImportAttempt).where(ImportAttempt.trigger == "drift")).all()
        events = session.exec(select(AuditEvent).where(AuditEvent.type == "drift.applied")).all()
        applied = session.exec(select(DriftChange).where(DriftChange.status == "applied")).all()
    assert sorted(a.details["drift"]["field"] for a in history) == sorted(["title", PARTY, KEY_DATE])
    assert {a.outcome for a in history} == {"updated"}
    assert sorted(e.data["field"] for e in events) == sorted(["title", PARTY, KEY_DATE])
    title_event = next(e for e in events if e.data["field"] == "title")
    assert title_event.data["before"] and title_event.data["after"] and title_event.data["before"] != title_event.data["after"]
    assert TITLE not in str(title_event.data), "digests, never the values"
    assert len(applied) == 3
    listed = service.client.get("/history?environment=1&outcome=updated").text
    assert listed.count('<span class="outcome updated">') == 3
    title_attempt = next(a for a in history if a.details["drift"]["field"] == "title")
    kept = title_attempt.details["drift"]
    assert kept["after"] == TITLE and kept["before"] and kept["before"] != TITLE, "History keeps the values"
    conflict = next(a for a in history if a.details["drift"]["field"] == KEY_DATE).details["drift"]
    assert (conflict["before"], conflict["after"]) == ("2026-04-01", "2026-05-05"), "the edit it overwrote, and the value"
    detail = service.client.get(f"/history/{title_attempt.id}?environment=1").text
    assert 'id="drift-applied"' in detail and "Title applied from Aderant to Clio Operate" in detail
    shown = re.search(r'<table class="drift-values" id="drift-values">(.*?)</table>', detail, re.S)
    assert shown and TITLE in shown.group(1) and str(kept["before"]) in shown.group(1)


def test_two_requests_at_once_write_once(service: Service) -> None:
    """Two replicas (or tabs) applying the same change at once: one writes it, the other is told."""
    work_item_id = drifted(service)
    services = service.client.app.state.runtime.services
    env = service.store.environment(service.organisation_id, 1)
    service.calls.clear()

    async def both() -> list:
        chosen = Selection(changes=frozenset({change("title")}))
        return await asyncio.gather(*(apply_drift_changes(services, env, "admin@sandbox.test", chosen) for _ in range(2)))

    first, second = service.client.portal.call(both)

    assert writes(service, work_item_id) == [("PUT", "")]
    messages = [o.message for o in (*first, *second)]
    assert messages.count("Applied in Clio Operate.") == 1, messages
    other = next(m for m in messages if m != "Applied in Clio Operate.")
    assert other in {ALREADY, BEING_APPLIED, NO_LONGER}, "whichever point of the first it met"


def test_select_all_applies_the_changes_from_aderant_and_leaves_the_conflict(service: Service) -> None:
    work_item_id = drifted(service)
    token = admin(service, DRIFT)

    page = service.client.post(DRIFT, data={"csrf_token": token, "apply": "all"})

    item = service.tenant().state.work_items[work_item_id]
    assert item.title == TITLE and item.key_dates["kd-instruction-date"] == "2026-04-01"
    assert rows(page.text) == {("both", KEY_DATE), ("clio_only", "attribute:aderant-office")}


def test_staff_are_refused_the_drift_page(service: Service) -> None:
    service.sign_in()
    page = service.client.get(DRIFT)
    token = csrf(service.client.get("/history?environment=1").text)
    posted = service.client.post(DRIFT, data={"csrf_token": token, "apply": "all"})

    assert page.status_code == posted.status_code == 403
    assert 'name="change"' not in page.text


def test_a_remote_system_down_is_said_plainly(service: Service) -> None:
    import_matter(service, NUMBER)
    admin(service, DRIFT)
    service.faults.add(path="/aderant/v1/matter-details", status=503)

    page = service.client.get(DRIFT)

    assert page.status_code == 200
    assert 'id="unavailable"' in page.text and "Changes since import could not be read" in page.text


def sharing_a_new_party(service: Service) -> tuple[str, str]:
    """Import 82001 and 82005, then add one new organisation to both in Aderant: their work item ids."""
    first, second = import_matter(service, NUMBER), import_matter(service, "82005")
    aderant = AderantChanges(service.aderant_url)
    try:
        added = aderant.change_matter(NUMBER, {"add_parties": [{"name": "Tasman Insurance Ltd", "kind": "O", "role": "INT"}]})
        name_uno = added["add_parties"][0]["name_uno"]
        aderant.change_matter("82005", {"add_parties": [{"name_uno": name_uno, "role": "INT"}]})
    finally:
        aderant.dispose()
    return first, second


def assert_one_contact_in_both(service: Service, *work_item_ids: str) -> None:
    state = service.tenant().state
    tasman = [o.id for o in state.organisations.values() if o.name == "Tasman Insurance Ltd"]
    assert len(tasman) == 1
    for work_item_id in work_item_ids:
        assert tasman[0] in {p.ods_id for p in state.work_items[work_item_id].participants}


def test_a_party_new_to_two_matters_becomes_one_contact_in_both(service: Service) -> None:
    first, second = sharing_a_new_party(service)
    token = admin(service, DRIFT)
    service.faults.add(path="/production/api/v2/public/organisation", method="POST", delay=0.5)  # both matters at once

    page = service.client.post(DRIFT, data={"csrf_token": token, "apply": "all"})

    assert page.status_code == 200
    assert rows(page.text) == set(), "both added: nothing differs any more"
    assert_one_contact_in_both(service, first, second)


def test_two_requests_adding_one_new_party_to_two_matters_create_one_contact(service: Service) -> None:
    """Two replicas (each its own request) apply the same new party to two matters at once: the
    contact is claimed in the database per environment and Aderant name, so one create is sent and
    both matters get that contact."""
    first, second = sharing_a_new_party(service)
    services = service.client.app.state.runtime.services
    env = service.store.environment(service.organisation_id, 1)
    service.faults.add(path="/production/api/v2/public/organisation", method="POST", delay=0.5)  # both at once
    service.calls.clear()

    async def both() -> list:
        return await asyncio.gather(*(
            apply_drift_changes(services, env, "admin@sandbox.test", Selection(whole_matters=frozenset({number})))
            for number in (NUMBER, "82005")
        ))

    outcomes = [o for matter in service.client.portal.call(both) for o in matter]

    assert [o.applied for o in outcomes] == [True, True], outcomes
    creates = [c for c in service.calls.calls if c.method == "POST" and c.path.endswith("/organisation")]
    assert len(creates) == 1, "one create for the one Aderant name"
    assert_one_contact_in_both(service, first, second)


def test_a_new_party_is_linked_to_the_candidate_chosen_or_created(service: Service) -> None:
    """As at import: the page offers the new party's candidates and "Create a new contact", the
    default decision selected; the choice is applied, and a contact that is not a candidate is refused."""
    work_item_id = drifted(service)
    state = service.tenant().state
    namesake = state.add_person("Lee", "Wong", NewContactFields())  # a candidate by name only: not linked by default
    token = admin(service, DRIFT)
    field = f"contact:{change(PARTY)}"

    choice = re.search(rf'<select name="{re.escape(field)}"[^>]*>(.*?)</select>', service.client.get(DRIFT).text, re.S)

    assert choice, "a contact choice for the party added"
    options = re.findall(r'<option value="([^"]+)"( selected)?>', choice.group(1))
    assert options == [(f"link:{namesake.id}", ""), ("create", " selected")], "the candidate offered, create by default"

    def apply(contact: str) -> str:
        answer = service.client.post(DRIFT, data={"csrf_token": token, "apply": "selected", "change": change(PARTY), field: contact})
        assert answer.status_code == 200
        outcomes = re.search(r'<ul id="outcomes">(.*?)</ul>', answer.text, re.S)
        assert outcomes and f'data-change="{change(PARTY)}"' in outcomes.group(1)
        return outcomes.group(1)

    def added() -> list[str]:
        return [p.ods_id for p in state.work_items[work_item_id].participants if p.ods_name == LEE_WONG.name]

    assert "not one of the party&#39;s candidates" in apply("link:not-a-candidate") and added() == []
    people = len(state.people)
    assert "Added in Clio Operate" in apply(f"link:{namesake.id}")
    assert added() == [namesake.id] and len(state.people) == people, "linked to the contact chosen, none created"


def test_a_new_party_can_be_created_though_it_has_a_candidate(service: Service) -> None:
    work_item_id = drifted(service)
    state = service.tenant().state
    namesake = state.add_person("Lee", "Wong", NewContactFields())
    token = admin(service, DRIFT)
    people = len(state.people)

    service.client.post(DRIFT, data={
        "csrf_token": token, "apply": "selected", "change": change(PARTY), f"contact:{change(PARTY)}": "create",
    })

    added = [p.ods_id for p in state.work_items[work_item_id].participants if p.ods_name == LEE_WONG.name]
    assert len(added) == 1 and added[0] != namesake.id and len(state.people) == people + 1
