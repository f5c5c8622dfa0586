"""A demo stopped and started again over the same data folder still has, in its sandbox Clio
Operate, the work item it imported: the import PMS Sync remembers still leads somewhere."""

from __future__ import annotations

import httpx2
import pytest

from tests.e2e.conftest import running_demo

pytestmark = pytest.mark.e2e


def test_a_restarted_demo_still_has_the_work_item_it_imported(tmp_path_factory: pytest.TempPathFactory) -> None:
    data_dir = tmp_path_factory.mktemp("restarted-demo")
    with running_demo(data_dir) as first:
        headers = {"Authorization": f"Bearer {first.user_token()}"}
        imported = httpx2.post(
            f"{first.service_url}/api/v1/matters/82001/import", json={"decisions": {}}, headers=headers, timeout=30
        )
        assert imported.status_code == 201, imported.text
        work_item_id = imported.json()["work_item_id"]
        api_url = first.environment()["api_url"]
        work_item_before = httpx2.get(f"{api_url}/api/v1/public/workItem/{work_item_id}", headers=headers).json()
        participants_before = httpx2.get(f"{api_url}/api/v2/public/workItem/{work_item_id}/participants", headers=headers).json()

    with running_demo(data_dir) as second:
        headers = {"Authorization": f"Bearer {second.user_token()}"}
        preview = httpx2.get(f"{second.service_url}/api/v1/matters/82001/preview", headers=headers, timeout=30).json()
        api_url = second.environment()["api_url"]
        work_item = httpx2.get(f"{api_url}/api/v1/public/workItem/{work_item_id}", headers=headers)
        participants_after = httpx2.get(f"{api_url}/api/v2/public/workItem/{work_item_id}/participants", headers=headers).json()
        with httpx2.Client(follow_redirects=True) as portal:  # "View →" in the portal, as a signed-in user
            portal.post(f"{second.environment()['portal_url']}login", data={"username": "staff@sandbox.test"})
            view = portal.get(preview["work_item_url"])

    assert (preview["already_imported"], preview["work_item_deleted"], preview["work_item_id"]) == (True, False, work_item_id)
    assert work_item.status_code == 200 and work_item.json() == work_item_before
    assert participants_after == participants_before and len(participants_after) > 1
    assert view.status_code == 200 and work_item.json()["workItem"]["title"] in view.text
