"""A Clio Operate role taken away counts within the bound Settings states (embed_auth.portal_access
RECHECK): for an API token at its next verification, for an open browser session at its next
decision, made once per session and interval. Time is moved by the clocks, not waited for. The
demo's Production lets in the Clio Operate role matter-handler, which staff@sandbox.test holds."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from markupsafe import escape

from embed_auth.portal_access import RECHECK, TAKES_EFFECT, refusal
from tests.boundary.conftest import ADMIN, PRODUCTION, STAFF, Service, change_user, csrf, remote_paths
from tests.conftest import MovableClock
from views.demo import ACCESS_CONTACT

README = Path(__file__).parents[2] / "README.md"


def user_info_calls(service: Service) -> int:
    return sum(1 for path in remote_paths(service) if path.endswith("/security/userInfo"))


def test_a_role_taken_away_refuses_an_api_token_within_the_bound(service: Service, clock: MovableClock) -> None:
    headers = service.bearer(STAFF)
    assert service.client.get("/api/v1/environments", headers=headers).status_code == 200
    asked = user_info_calls(service)

    change_user(service, "production", STAFF, roles=("portal-user",))
    clock.advance(timedelta(seconds=1))
    assert service.client.get("/api/v1/environments", headers=headers).status_code == 200  # verified a moment ago
    assert user_info_calls(service) == asked, "not asked again for every call"
    clock.advance(RECHECK)

    refused = service.client.get("/api/v1/environments", headers=headers)
    assert refused.status_code == 403 and refused.json() == {"error": refusal(ACCESS_CONTACT)}


def test_a_role_taken_away_ends_the_browser_session_within_the_bound(service: Service, clock: MovableClock) -> None:
    assert service.sign_in(STAFF).status_code == 200
    asked = user_info_calls(service)

    clock.advance(RECHECK + timedelta(seconds=1))
    for _ in range(3):
        assert service.client.get("/").status_code == 200
    assert user_info_calls(service) == asked + 1, "decided again once for the interval, not per request"

    change_user(service, "production", STAFF, roles=("portal-user",))
    clock.advance(RECHECK - timedelta(seconds=1))
    assert service.client.get("/").status_code == 200  # not yet due
    clock.advance(timedelta(seconds=2))

    refused = service.client.get("/")
    assert refused.status_code == 403 and str(escape(refusal(ACCESS_CONTACT))) in refused.text
    assert "Sign-in refused" in refused.text and "Find a matter" not in refused.text
    assert service.client.get("/", follow_redirects=False).status_code == 303, "the session has ended"
    assert service.client.get("/api/v1/environments").status_code == 401
    assert user_info_calls(service) == asked + 2
    [event] = [e for e in service.store.audit_events(service.organisation_id) if e.type == "sign_in.refused"]
    assert (event.actor, event.environment_id, event.data["why"]) == (STAFF, PRODUCTION, "no staff role in Clio Operate")


def test_roles_that_cannot_be_read_end_the_session_at_the_next_page_not_during_a_form(service: Service, clock: MovableClock) -> None:
    assert service.sign_in(STAFF).status_code == 200
    token = csrf(service.client.get("/").text)

    change_user(service, "production", STAFF, provider="another-provider")  # impersonation no longer finds them
    clock.advance(RECHECK + timedelta(seconds=1))
    imported = service.client.post("/api/v1/matters/82001/import", json={}, headers={"X-CSRF-Token": token})
    assert imported.status_code == 201, "the import being sent goes through"
    assert service.client.get("/", follow_redirects=False).status_code == 303, "the next page ends the session"
    assert service.client.get("/api/v1/environments").status_code == 401


def test_a_session_decided_again_follows_a_changed_administrator_role(service: Service, clock: MovableClock) -> None:
    assert service.sign_in(ADMIN).status_code == 200
    assert service.client.get("/settings/members").status_code == 200

    change_user(service, "production", ADMIN, roles=("matter-handler",))
    clock.advance(RECHECK + timedelta(seconds=1))

    assert service.client.get("/settings/members").status_code == 403  # staff now: Settings refused
    assert service.client.get("/").status_code == 200 and "Administrator" not in service.client.get("/").text


def test_saving_the_staff_roles_ends_the_other_portal_sessions_at_once(service: Service) -> None:
    def as_(cookies: dict[str, str]) -> None:
        service.client.cookies.clear()
        service.client.cookies.update(cookies)

    assert service.sign_in(STAFF).status_code == 200
    staff_cookies = dict(service.client.cookies)
    assert service.sign_in(ADMIN).status_code == 200
    admin_cookies = dict(service.client.cookies)
    as_(staff_cookies)
    assert service.client.get("/", follow_redirects=False).status_code == 200
    as_(admin_cookies)
    token = csrf(service.client.get("/settings/members").text)
    form = {"csrf_token": token, "admin_roles": "system-administrator", "staff_roles": "pilot-group", "access_contact": ""}

    saved = service.client.post("/settings/members/access", data=form, follow_redirects=False)

    assert saved.status_code == 303
    assert service.client.get("/settings/members").status_code == 200, "who saved stays signed in"
    as_(staff_cookies)
    assert service.client.get("/", follow_redirects=False).status_code == 303, "the staff member's session ended"


def test_settings_and_the_readme_state_the_bound_the_code_keeps(service: Service) -> None:
    minutes = int(RECHECK.total_seconds()) // 60  # the bound the tests above hold the service to
    assert f"within {minutes} minutes in open browser sessions and for API tokens" in TAKES_EFFECT

    assert service.sign_in(ADMIN).status_code == 200
    for path in ("/settings/members", f"/settings/connections/{PRODUCTION}"):
        text = service.client.get(path).text
        assert str(escape(TAKES_EFFECT)) in text, path
        assert not re.search(r"within (a|one) minute|within \d+ minutes for scripts", text), path
    assert TAKES_EFFECT in " ".join(README.read_text().split())
