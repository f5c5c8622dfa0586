"""Importing from the preview page, the result card, and History."""

from __future__ import annotations

import re

from sandbox.clio.seed import MARY_CITIZEN_ID
from tests.views.conftest import Service


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def test_import_from_the_preview_form_shows_the_result_card(service: Service) -> None:
    service.sign_in()
    preview = service.client.get("/matters/82001/preview?environment=1")
    assert "Import into Clio Operate" in preview.text and 'id="confirm-import"' in preview.text
    form = {"csrf_token": csrf(preview.text), "decision-wit-90003": f"link:{MARY_CITIZEN_ID}", "decision-adv-90002": "create"}
    response = service.client.post("/matters/82001/import?environment=1", data=form, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/history/")
    card = service.client.get(response.headers["location"])
    assert card.status_code == 200
    for text in ("Imported", "Open in Clio Operate", "Contacts created (3)", "Contacts linked (2)", "Mary Citizen", "Litigation – Sydney"):
        assert text in card.text, text
    again = service.client.post("/matters/82001/import?environment=1", data=form, follow_redirects=True)
    assert "Matter was already imported" in again.text


def test_forms_without_a_valid_csrf_token_are_refused(service: Service) -> None:
    service.sign_in()
    for form in ({}, {"csrf_token": "forged"}):
        response = service.client.post("/matters/82001/import?environment=1", data=form)
        assert response.status_code == 403
    assert service.tenant().state.work_items.keys() == {w for w in service.tenant().state.work_items}
    assert not service.client.get("/api/v1/history", headers=service.bearer()).json()["items"]


def test_json_import_with_a_session_cookie_needs_the_csrf_header(service: Service) -> None:
    service.sign_in()
    token = csrf(service.client.get("/").text)
    refused = service.client.post("/api/v1/matters/82001/import", json={})
    assert refused.status_code == 403 and "CSRF" in refused.json()["error"]
    accepted = service.client.post("/api/v1/matters/82001/import", json={}, headers={"X-CSRF-Token": token})
    assert accepted.status_code == 201


def test_write_gate_on_the_preview_page(service: Service) -> None:
    service.sign_in()
    page = service.client.get("/matters/82001/preview?environment=2")
    assert "Import writes are not enabled" in page.text and 'id="import-button"' not in page.text


def test_history_lists_every_attempt_newest_first_and_filters(service: Service) -> None:
    headers = service.bearer()
    service.client.post("/api/v1/matters/82002/import", json={}, headers=headers)  # blocked by the mapping: failed
    service.client.post("/api/v1/matters/82001/import", json={}, headers=headers)
    service.client.post("/api/v1/matters/82001/import", json={}, headers=headers)
    service.client.post("/api/v1/matters/82001/import?environment=2", json={}, headers=headers)  # refused (UAT)
    items = service.client.get("/api/v1/history", headers=headers).json()["items"]
    assert [(i["matter_number"], i["outcome"]) for i in items] == [
        ("82001", "already_imported"), ("82001", "imported"), ("82002", "failed")
    ]
    uat = service.client.get("/api/v1/history?environment=2", headers=headers).json()["items"]
    assert [(i["outcome"], i["error"]) for i in uat] == [("refused", "Import writes are not enabled")]
    service.sign_in()
    page = service.client.get("/history?environment=1&outcome=failed")
    assert "82002" in page.text and 'class="outcome already_imported"' not in page.text
    page = service.client.get("/history?environment=1&matter=82001")
    assert page.text.count("Details →") == 2
    paged = service.client.get("/api/v1/history", params={"limit": 1}, headers=headers).json()
    older = service.client.get("/api/v1/history", params={"limit": 1, "before": paged["next_before"]}, headers=headers).json()
    assert older["items"][0]["id"] < paged["items"][0]["id"]
    detail = service.client.get(f"/history/{items[2]['id']}?environment=1")
    assert "witness" in detail.text and "safe to try again" in detail.text


def test_another_organisation_cannot_import_into_or_read_this_one(service: Service) -> None:
    service.client.post("/api/v1/matters/82001/import", json={}, headers=service.bearer())
    attempt = service.client.get("/api/v1/history", headers=service.bearer()).json()["items"][0]["id"]
    # A second firm on the UAT tenant: its staff sign in through UAT's issuer.
    with service.store.engine.begin() as connection:
        from sqlalchemy import text

        other = service.store.create_organisation("Other firm", [])
        connection.execute(text("UPDATE environment SET organisation_id = :o WHERE name = 'UAT'"), {"o": other})
        connection.execute(text("UPDATE organisation SET settings_version = settings_version + 1"))  # as every save does
    foreign = {"Authorization": f"Bearer {service.token(tenant='uat')}"}
    assert service.client.get("/api/v1/history?environment=1", headers=foreign).status_code == 404
    assert service.client.post("/api/v1/matters/82004/import?environment=1", json={}, headers=foreign).status_code == 404
    assert service.client.get("/api/v1/history", headers=foreign).json()["items"] == []
    service.client.post("/embed/session", json={"token": service.token(tenant="uat")})
    assert service.client.get(f"/history/{attempt}").status_code == 404
    assert service.client.get(f"/history/{attempt}?environment=1").status_code == 404
