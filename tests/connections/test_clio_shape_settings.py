"""Settings → Connections → Advanced: Clio Operate routes and shapes, per environment."""

from __future__ import annotations

import html

from tests.connections.conftest import LIST, PRODUCTION, STAFF, audit, submit
from tests.views.conftest import Service

EDIT = f"{LIST}/{PRODUCTION}"


def stored(service: Service) -> dict:
    env = service.store.environment(service.organisation_id, PRODUCTION)
    assert env is not None
    return dict(env.clio_settings)


def clio_events(service: Service) -> list[dict]:
    return [e.data for e in audit(service) if str(e.data.get("field", "")).startswith("clio_")]


def test_the_form_shows_the_documented_defaults_and_saving_it_untouched_changes_nothing(admin: Service) -> None:
    page = admin.client.get(EDIT).text
    assert "Advanced: Clio Operate" in page and 'name="clio_routes"' in page
    assert 'name="clio_user_participant_role" value="contributor"' in page
    assert '<option value="minimal" selected>' in page

    assert submit(admin, EDIT, EDIT).status_code == 303

    assert stored(admin) == {} and clio_events(admin) == []


def test_an_administrator_overrides_routes_and_shapes_and_each_change_is_audited(admin: Service) -> None:
    routes = "work_item_participants = /api/v1/public/workItem/{id}/participants\nods_search = /api/ods/search\n"

    response = submit(
        admin, EDIT, EDIT, clio_routes=routes, clio_user_participant_role="matter-owner", clio_team_search_body="ods"
    )

    assert response.status_code == 303
    assert stored(admin) == {
        "routes": {"work_item_participants": "/api/v1/public/workItem/{id}/participants", "ods_search": "/api/ods/search"},
        "user_participant_role": "matter-owner",
        "team_search_body": "ods",
    }
    page = html.unescape(admin.client.get(EDIT).text)
    assert "ods_search = /api/ods/search\nwork_item_participants = /api/v1/public/workItem/{id}/participants" in page
    assert 'name="clio_user_participant_role" value="matter-owner"' in page and '<option value="ods" selected>' in page
    assert sorted((e["field"], e["from"], e["to"]) for e in clio_events(admin)) == [
        ("clio_routes", {}, stored(admin)["routes"]),
        ("clio_team_search_body", "minimal", "ods"),
        ("clio_user_participant_role", "contributor", "matter-owner"),
    ]

    # The next call uses the override: the preview's contact search goes to the new path.
    admin.calls.clear()
    admin.client.get("/api/v1/matters/82001/preview?environment=1", headers=admin.bearer(STAFF))
    paths = {c.path for c in admin.calls.calls}
    assert "/production/api/ods/search" in paths and "/production/api/ods/_search" not in paths


def test_emptying_the_role_leaves_the_importing_user_out(admin: Service) -> None:
    assert submit(admin, EDIT, EDIT, clio_user_participant_role="").status_code == 303

    assert stored(admin) == {"user_participant_role": None}
    assert 'name="clio_user_participant_role" value=""' in admin.client.get(EDIT).text
    assert [(e["field"], e["from"], e["to"], e["environment"]) for e in clio_events(admin)] == [
        ("clio_user_participant_role", "contributor", None, "Production")
    ]


def test_bad_routes_are_refused_with_the_reason_and_nothing_is_saved(admin: Service) -> None:
    bad = "odsSearch = /api/ods/search\nchange_phase = /api/v1/public/workItem/{workItemId}/phase\nwork_type_tree /x"

    response = submit(admin, EDIT, EDIT, clio_routes=bad, clio_user_participant_role="not a role!")

    assert response.status_code == 400
    page = html.unescape(response.text)
    assert "odsSearch is not a Clio Operate route PMS Sync calls" in page
    assert "change_phase must have the placeholders {id}" in page
    assert "Write each route as name = /path" in page
    assert "must be a role's system name" in page
    assert bad.splitlines()[0] in page, "what was typed is shown back"
    assert stored(admin) == {} and clio_events(admin) == []


def test_staff_cannot_change_them(service: Service) -> None:
    assert service.sign_in(STAFF).status_code == 200
    assert service.client.get(EDIT).status_code == 403
