"""Pages and forms: an environment's Settings and History are for those its own tenant knows, with
the rights they have there; a UAT administrator is not a Production administrator."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlmodel import Session

from store.settings_version import raise_version
from tests.boundary.conftest import (
    ADMIN,
    NOT_KNOWN_IN_PRODUCTION,
    PRODUCTION,
    STAFF,
    UAT,
    UAT_ONLY,
    Service,
    audit_types,
    change_user,
    csrf,
    production_siem,
    refusals,
    remote_paths,
)
from tests.connections.conftest import submit
from tests.views.test_member_import import member_session

SIEM_URL = "https://siem.example.test/hooks/other"
SIEM_SECRET = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ=="
NOT_ADMIN_IN_PRODUCTION = "Your account is not an administrator in the Production tenant, so not of Production."
PRODUCTION_CONNECTION = f"/settings/connections/{PRODUCTION}"


def members_refusal(html: str) -> str:
    start = html.index("Only administrators can open Settings")
    return html[start:html.index("so not of Production.", start) + len("so not of Production.")]


def sign_in_through_uat(app: Service, username: str) -> str:
    """Sign in from UAT's portal; the page's CSRF token."""
    assert app.sign_in(username, tenant="uat").status_code == 200
    return csrf(app.client.get(f"/?environment={UAT}").text)


def save_production_connection(app: Service, token: str) -> int:
    """Post a change of Production's SIEM webhook (refused before any field is read)."""
    fields = {"name": "Production", "siem_url": SIEM_URL, "siem_secret": SIEM_SECRET, "csrf_token": token}
    return app.client.post(PRODUCTION_CONNECTION, data=fields).status_code


@pytest.mark.parametrize(
    "path",
    [
        PRODUCTION_CONNECTION,
        f"/history?environment={PRODUCTION}",
        f"/?environment={PRODUCTION}&q=82001",
        f"/matters/82001/preview?environment={PRODUCTION}",
        f"/settings/mapping?environment={PRODUCTION}",
        "/settings/members",  # the organisation's, decided in its default environment (Production)
    ],
)
def test_pages_of_production_refuse_a_user_only_uat_knows(service: Service, path: str) -> None:
    sign_in_through_uat(service, UAT_ONLY)

    page = service.client.get(path)

    assert page.status_code == 403 and NOT_KNOWN_IN_PRODUCTION in page.text
    assert refusals(service) == [(PRODUCTION, UAT_ONLY, NOT_KNOWN_IN_PRODUCTION)]


def test_the_user_only_uat_knows_administers_uat(service: Service) -> None:
    sign_in_through_uat(service, UAT_ONLY)

    assert service.client.get(f"/settings/connections/{UAT}").status_code == 200
    assert service.client.get(f"/history?environment={UAT}").status_code == 200
    assert refusals(service) == []


def test_saving_production_connection_as_a_user_only_uat_knows_is_refused_and_changes_nothing(service: Service) -> None:
    token = sign_in_through_uat(service, UAT_ONLY)
    before = production_siem(service), service.store.environment(service.organisation_id, PRODUCTION)

    assert save_production_connection(service, token) == 403
    assert (production_siem(service), service.store.environment(service.organisation_id, PRODUCTION)) == before
    assert before[0] == (None, None)
    assert "settings.changed" not in audit_types(service, PRODUCTION)
    assert refusals(service) == [(PRODUCTION, UAT_ONLY, NOT_KNOWN_IN_PRODUCTION)]


def test_a_uat_administrator_is_staff_in_production(service: Service) -> None:
    change_user(service, "uat", STAFF, roles=("system-administrator", "matter-handler"))
    token = sign_in_through_uat(service, STAFF)
    assert service.client.get(f"/settings/connections/{UAT}").status_code == 200, "an administrator in UAT"

    page = service.client.get(PRODUCTION_CONNECTION)
    saved = save_production_connection(service, token)
    history = service.client.get(f"/history?environment={PRODUCTION}")

    assert page.status_code == 403 and NOT_ADMIN_IN_PRODUCTION in page.text
    assert saved == 403 and production_siem(service) == (None, None)
    assert history.status_code == 200 and "Administrator</span>" not in history.text, "staff in Production"
    assert [r[:2] for r in refusals(service)] == [(PRODUCTION, STAFF), (PRODUCTION, STAFF)]
    members = service.client.get("/settings/members")
    assert members.status_code == 403 and NOT_ADMIN_IN_PRODUCTION in members.text, "the organisation's: Production decides"
    assert refusals(service)[-1] == (PRODUCTION, STAFF, members_refusal(members.text))
    [*_, event] = [e for e in service.store.audit_events(service.organisation_id, limit=500) if e.type == "access.refused"][::-1]
    assert event.data["signed_in_environment_id"] == UAT


def test_an_administrator_of_both_tenants_administers_production_from_uat(service: Service) -> None:
    sign_in_through_uat(service, ADMIN)

    assert service.client.get(PRODUCTION_CONNECTION).status_code == 200
    saved = submit(service, PRODUCTION_CONNECTION, PRODUCTION_CONNECTION, siem_url=SIEM_URL, siem_secret=SIEM_SECRET)
    assert saved.status_code == 303, saved.text
    assert production_siem(service)[0] == SIEM_URL
    assert refusals(service) == []


def test_roles_that_cannot_be_read_give_staff_at_most(service: Service) -> None:
    """Production will not impersonate a user of another identity provider: their roles there
    cannot be read, so Production grants them staff, though they are an administrator there; and
    nothing while Production lists staff roles (as the demo's does), since they cannot be shown to
    hold one."""
    change_user(service, "production", ADMIN, provider="aad")
    sign_in_through_uat(service, ADMIN)
    assert service.client.get(f"/history?environment={PRODUCTION}").status_code == 403

    with Session(service.store.engine) as session:
        session.execute(text("UPDATE environment SET staff_roles = '[]' WHERE id = :id"), {"id": PRODUCTION})
        raise_version(session, service.organisation_id)  # as every save does
        session.commit()
    sign_in_through_uat(service, ADMIN)  # a new session: the earlier answer is not reused

    assert service.client.get(PRODUCTION_CONNECTION).status_code == 403
    assert service.client.get(f"/history?environment={PRODUCTION}").status_code == 200


def test_history_details_of_production_are_not_shown_from_uat_to_a_user_only_uat_knows(service: Service) -> None:
    admin = service.bearer(ADMIN)
    attempt = service.client.post(f"/api/v1/matters/82001/import?environment={PRODUCTION}", json={}, headers=admin)
    assert attempt.status_code == 201
    [entry] = service.client.get(f"/api/v1/history?environment={PRODUCTION}", headers=admin).json()["items"]
    sign_in_through_uat(service, UAT_ONLY)

    detail = service.client.get(f"/history/{entry['id']}?environment={UAT}")

    assert detail.status_code == 403 and "82001" not in detail.text


def test_a_member_signed_in_outside_clio_operate_keeps_their_role_in_every_environment(service: Service) -> None:
    """An organisation-wide grant by an administrator of the default environment (Members): no
    tenant is asked, even about someone no tenant knows."""
    headers = member_session(service, "consultant@elsewhere.test")

    for environment_id in (PRODUCTION, UAT):
        assert service.client.get(f"/settings/connections/{environment_id}", headers=headers).status_code == 200
        assert service.client.get(f"/history?environment={environment_id}", headers=headers).status_code == 200
    assert service.client.get("/settings/members", headers=headers).status_code == 200
    assert not any(path.endswith("/ods/_search") for path in remote_paths(service))
    assert refusals(service) == []
