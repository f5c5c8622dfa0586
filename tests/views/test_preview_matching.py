"""The preview's matching through the JSON API and the page, against the in-process sandbox:
candidate details and reasons, the default rule, decision memory and data-quality notes."""

from __future__ import annotations

import re

from sandbox.clio.seed import HARBOUR_HOLDINGS_ID, MARY_CITIZEN_ID, MARY_CITIZENS_ID
from tests.views.conftest import SANDBOX, Service


def party(body: dict, key: str) -> dict:
    return next(p for p in body["parties"] if p["key"] == key)


def test_candidates_show_what_tells_them_apart_sorted_by_score_with_reasons(service: Service) -> None:
    body = service.client.get("/api/v1/matters/82001/preview", headers=service.bearer()).json()

    mary = party(body, "wit-90003")
    citizen, citizens = mary["candidates"][:2]
    assert (citizen["ods_id"], citizens["ods_id"]) == (MARY_CITIZEN_ID, MARY_CITIZENS_ID)
    assert citizen["score"] > citizens["score"]
    assert citizen["address"] == "4 Example Street, Newtown, 2042" and "same postcode 2042" in citizen["reasons"]
    assert citizen["url"] == f"{SANDBOX}/production/ods/person/{MARY_CITIZEN_ID}"
    assert citizen["created"].startswith("2025-11-03")
    assert (citizens["emails"], citizens["phones"], citizens["reference"]) == (
        ["mary.citizens@example.org"], ["+61 400 555 042"], "CRM-P0042"
    )
    assert "different e-mail" in citizens["reasons"]
    assert not citizen["strong"] and not citizens["strong"] and mary["default_decision"] == "create"
    client = party(body, "client-90001")
    assert client["candidates"][0]["strong"] and client["candidates"][0]["reference"] == "ADERANT:90001"
    assert client["default_decision"] == {"link": HARBOUR_HOLDINGS_ID}
    assert "linked by default only on strong evidence" in body["default_rule"]


def test_data_quality_notes_are_in_the_json_preview(service: Service) -> None:
    headers = service.bearer()
    litigation = service.client.get("/api/v1/matters/82001/preview", headers=headers).json()
    closed = service.client.get("/api/v1/matters/82002/preview", headers=headers).json()

    assert party(litigation, "int-90005")["notes"] == [
        "Aderant has no e-mail or phone for this party: the contact will have no way to reach them."
    ]
    assert party(litigation, "wit-90003")["notes"] == [] and litigation["notes"] == []
    assert closed["notes"] == [
        {"about": "matter", "text": "This matter is closed in Aderant on 30 Jun 2026: check that it should be imported."}
    ]


def test_an_import_that_links_a_party_makes_it_the_default_of_the_next_preview(service: Service) -> None:
    headers = service.bearer()
    imported = service.client.post(
        "/api/v1/matters/82001/import", json={"decisions": {"wit-90003": {"link": MARY_CITIZEN_ID}}}, headers=headers
    )
    assert imported.status_code == 201, imported.text

    mary = party(service.client.get("/api/v1/matters/82002/preview", headers=headers).json(), "wit-90003")

    assert mary["default_decision"] == {"link": MARY_CITIZEN_ID}
    best = mary["candidates"][0]
    assert best["ods_id"] == MARY_CITIZEN_ID and best["strong"]
    assert any(re.fullmatch(r"linked before by staff@sandbox\.test on \d\d \w{3} \d{4}", r) for r in best["reasons"])
    uat = service.client.get("/api/v1/matters/82002/preview", params={"environment": 2}, headers=headers).json()
    assert party(uat, "wit-90003")["default_decision"] == "create", "remembered per environment"


def test_the_page_puts_parties_first_with_bulk_buttons_the_rule_and_notes(service: Service) -> None:
    service.sign_in()
    page = service.client.get("/matters/82002/preview", params={"environment": 1}).text

    assert page.index('id="parties"') < page.index("Clio Operate (to be created)") < page.index('<details id="source">')
    for text in ("Link all strong matches", "Create all unmatched", "linked by default only on strong evidence",
                 "This matter is closed in Aderant on 30 Jun 2026", "same postcode 2042", "different e-mail",
                 "mary.citizens@example.org", "80 Collins Street, Melbourne, 3000"):
        assert text in page
    assert re.search(r'<strong id="count-create">1</strong> <span id="noun-create">contact</span> will be created', page)
    assert f'href="{SANDBOX}/production/ods/person/{MARY_CITIZEN_ID}" target="_top" rel="noopener"' in page
