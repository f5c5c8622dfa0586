"""The sandbox controls these tests drive over HTTP: the `late` fault and deleting a work item."""

from __future__ import annotations

from starlette.testclient import TestClient

from sandbox.clio.seed import IMPORTED_WORK_ITEM_ID
from tests.views.conftest import SANDBOX, Service


def test_deleting_a_work_item_makes_its_routes_answer_404(service: Service) -> None:
    sandbox = TestClient(service.sandbox, base_url=SANDBOX)
    bearer = {"Authorization": f"Bearer {service.tenant().mint_client_token()}"}
    item = f"/production/api/v1/public/workItem/{IMPORTED_WORK_ITEM_ID}"
    assert sandbox.get(item, headers=bearer).status_code == 200

    assert sandbox.delete(f"/_sandbox/production/work-items/{IMPORTED_WORK_ITEM_ID}").status_code == 204
    assert sandbox.get(item, headers=bearer).status_code == 404
    assert sandbox.get(f"{item}/phase", headers=bearer).status_code == 404
    assert sandbox.delete(f"/_sandbox/production/work-items/{IMPORTED_WORK_ITEM_ID}").status_code == 404
    assert sandbox.delete(f"/_sandbox/nowhere/work-items/{IMPORTED_WORK_ITEM_ID}").status_code == 404


def test_a_late_rule_is_accepted_and_checked(service: Service) -> None:
    sandbox = TestClient(service.sandbox, base_url=SANDBOX)
    added = sandbox.post("/_sandbox/faults", json={"path": "/production/api/public/v1/people", "method": "POST", "late": 2.5})
    assert added.status_code == 201 and added.json()["late"] == 2.5
    assert sandbox.post("/_sandbox/faults", json={"path": "/x", "late": -1}).status_code == 400
