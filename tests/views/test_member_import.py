"""A member signed in outside Clio Operate imports: added by the one Clio Operate user with their
e-mail, or left out with a plain warning, never by their e-mail as an ODS id."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from sandbox.clio.seed import ADMIN_USER_ID
from store.repository import SessionRecord
from tests.views.conftest import Service

PRODUCTION = 1


def member_session(service: Service, email: str) -> dict[str, str]:
    """Headers of a browser signed in by OpenID Connect: a session with no environment."""
    token, csrf = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    service.store.create_session(
        token,
        SessionRecord(
            service.organisation_id, None, email, email, "Member", "administrator", csrf,
            datetime.now(UTC) + timedelta(hours=1),
        ),
    )
    return {"Cookie": f"pms_sync_session={token}", "X-CSRF-Token": csrf}


def import_82001(service: Service, headers: dict[str, str]) -> dict:
    response = service.client.post(f"/api/v1/matters/82001/import?environment={PRODUCTION}", json={}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def participants(service: Service, work_item_id: str) -> set[tuple[str, str, str]]:
    item = service.tenant().state.work_items[work_item_id]
    return {(p.role.system_name, p.ods_type, p.ods_id) for p in item.participants}


def test_a_member_with_a_clio_operate_user_of_their_e_mail_is_added_as_that_user(service: Service) -> None:
    body = import_82001(service, member_session(service, "Admin@Sandbox.test"))

    assert ("contributor", "user", ADMIN_USER_ID) in participants(service, body["work_item_id"])
    assert body["warnings"] == []


def test_a_member_no_clio_operate_user_has_is_imported_without_and_told(service: Service) -> None:
    body = import_82001(service, member_session(service, "ada@harbour-legal.example"))

    assert body["status"] == "imported"
    assert not any(role == "contributor" for role, _, _ in participants(service, body["work_item_id"]))
    assert body["warnings"] == [
        "You signed in outside Clio Operate, so you were not added as contributor: "
        "no Clio Operate user has the e-mail ada@harbour-legal.example."
    ]
