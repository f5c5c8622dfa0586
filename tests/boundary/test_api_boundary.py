"""The JSON API acts on an environment only for callers that environment's tenant knows."""

from __future__ import annotations

import pytest

from tests.boundary.conftest import (
    ADMIN,
    NOT_KNOWN_IN_PRODUCTION,
    PRODUCTION,
    STAFF,
    UAT,
    UAT_ONLY,
    Service,
    change_user,
    refusals,
    remote_paths,
)

CALLS = [
    ("GET", "/api/v1/matters?q=82001"),
    ("GET", "/api/v1/matters/82001/preview"),
    ("POST", "/api/v1/matters/82001/import"),
    ("GET", "/api/v1/history"),
]


@pytest.mark.parametrize(("method", "path"), CALLS)
def test_a_user_only_uat_knows_is_refused_in_production(service: Service, method: str, path: str) -> None:
    uat_only = service.bearer(UAT_ONLY, tenant="uat")
    separator = "&" if "?" in path else "?"

    response = service.client.request(method, f"{path}{separator}environment={PRODUCTION}", headers=uat_only, json={} if method == "POST" else None)

    assert response.status_code == 403 and response.json() == {"error": NOT_KNOWN_IN_PRODUCTION}
    assert refusals(service) == [(PRODUCTION, UAT_ONLY, NOT_KNOWN_IN_PRODUCTION)]
    assert service.store.imports.attempt(service.organisation_id, 1) is None, "nothing was attempted in Production"
    assert not any(p.startswith("/aderant") or p.startswith("/production/api/v1") for p in remote_paths(service))


def test_the_same_user_works_in_uat_where_they_are_known(service: Service) -> None:
    uat_only = service.bearer(UAT_ONLY, tenant="uat")

    assert service.client.get(f"/api/v1/matters?q=82001&environment={UAT}", headers=uat_only).status_code == 200
    assert service.client.get("/api/v1/matters?q=82001", headers=uat_only).status_code == 200  # UAT by default
    assert refusals(service) == []


def test_a_user_both_tenants_know_acts_on_production_as_production_knows_them(service: Service) -> None:
    change_user(service, "uat", STAFF, roles=("system-administrator", "matter-handler"))  # an administrator in UAT only
    staff_from_uat = service.bearer(STAFF, tenant="uat")

    found = service.client.get(f"/api/v1/matters?q=82001&environment={PRODUCTION}", headers=staff_from_uat)
    imported = service.client.post(f"/api/v1/matters/82001/import?environment={PRODUCTION}", json={}, headers=staff_from_uat)

    assert found.status_code == 200 and imported.status_code == 201, imported.text
    [entry] = service.client.get(f"/api/v1/history?environment={PRODUCTION}", headers=staff_from_uat).json()["items"]
    assert entry["user"] == STAFF and entry["outcome"] == "imported"
    # Added to the work item as Production's own person for them (found by e-mail), not by a UAT id.
    production = service.tenant("production").state
    participants = production.work_items[imported.json()["work_item_id"]].participants
    assert production.user_by_username(STAFF).id in {p.ods_id for p in participants}


def test_the_lookup_is_cached_per_caller_and_environment(service: Service) -> None:
    uat_only = service.bearer(UAT_ONLY, tenant="uat")
    admin_from_uat = service.bearer(ADMIN, tenant="uat")
    for _ in range(3):
        service.client.get(f"/api/v1/history?environment={PRODUCTION}", headers=uat_only)
        service.client.get(f"/api/v1/history?environment={PRODUCTION}", headers=admin_from_uat)

    searches = [p for p in remote_paths(service) if p == "/production/api/ods/_search"]
    assert len(searches) == 2, "one look-up per caller, then the cached answer"
    assert len(refusals(service)) == 1, "refused three times, audited once (held back, like the sign-in refusal)"


def test_a_remote_failure_during_the_lookup_is_a_502_and_not_remembered(service: Service) -> None:
    admin_from_uat = service.bearer(ADMIN, tenant="uat")
    service.faults.add("/production/api/ods/_search", status=503, times=1)

    failed = service.client.get(f"/api/v1/history?environment={PRODUCTION}", headers=admin_from_uat)
    retried = service.client.get(f"/api/v1/history?environment={PRODUCTION}", headers=admin_from_uat)

    assert failed.status_code == 502 and retried.status_code == 200
