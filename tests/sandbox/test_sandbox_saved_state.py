"""With a state file, the sandbox keeps its tenants' contacts and work items across restarts."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from sandbox.app import Sandbox, create_sandbox_app
from sandbox.clio.saved_state import SaveSchedule
from sandbox.clio.seed import IMPORTED_WORK_ITEM_ID
from tests.sandbox.conftest import AGENT_KEY, BASE_URL, SERVICE_URL
from tests.sandbox.test_sandbox_work_items_api import WORK_ITEM, matter

PEOPLE = "/production/api/public/v1/people"


@pytest.fixture(scope="module")
def aderant_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    from sandbox.aderant_db import create_aderant_db

    url = f"sqlite:///{tmp_path_factory.mktemp('aderant') / 'aderant.db'}"
    create_aderant_db(url, generated_matters=0)
    return url


def started(aderant_url: str, state_file: Path | None) -> Starlette:
    return create_sandbox_app(
        base_url=BASE_URL, aderant_database_url=aderant_url, agent_api_key=AGENT_KEY,
        service_url=SERVICE_URL, state_file=state_file,
    )


def staff(app: Starlette) -> dict[str, str]:
    sandbox: Sandbox = app.state.sandbox
    return {"Authorization": f"Bearer {sandbox.tenants['production'].mint_user_token('staff@sandbox.test')}"}


def create_matter_with_a_new_contact(http: TestClient, auth: dict[str, str]) -> tuple[str, str]:
    person = http.post(PEOPLE, json={"firstName": "Nora", "surname": "Newparty", "reference": "ADERANT:777"}, headers=auth)
    assert person.status_code == 200, person.text
    person_id = person.json()["id"]
    body = matter(participants=[{"roleSystemName": "other-side", "odsId": person_id, "odsType": "person"}])
    created = http.post(WORK_ITEM, json=body, headers=auth)
    assert created.status_code == 200, created.text
    return person_id, created.json()["workItem"]["id"]


def wait_until(condition, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.05)


def test_what_was_created_and_changed_is_there_after_a_restart(aderant_url: str, tmp_path: Path) -> None:
    state_file = tmp_path / "sandbox-state.json"
    first = started(aderant_url, state_file)
    with TestClient(first, base_url=BASE_URL) as http:
        auth = staff(first)
        person_id, item_id = create_matter_with_a_new_contact(http, auth)
        http.post(f"{WORK_ITEM}/{item_id}/attributes/aderant-matter-code", json={"value": "82001-A"}, headers=auth)
        move = http.get(f"{WORK_ITEM}/{item_id}/phase", headers=auth).json()["availableTransitions"][0]
        http.put(f"{WORK_ITEM}/{item_id}/phase", json={"toPhaseSystemName": move["toPhaseSystemName"]}, headers=auth)
        before = {
            path: http.get(path, headers=auth).json()
            for path in (f"{WORK_ITEM}/{item_id}", f"{WORK_ITEM}/{item_id}/phase",
                         f"/production/api/v2/public/workItem/{item_id}/participants", f"{PEOPLE}/{person_id}")
        }

    restarted = started(aderant_url, state_file)
    with TestClient(restarted, base_url=BASE_URL) as http:
        auth = staff(restarted)  # the tenant's key is new: a new token
        after = {path: http.get(path, headers=auth).json() for path in before}
        seeded = http.get(f"{WORK_ITEM}/{IMPORTED_WORK_ITEM_ID}", headers=auth)

    assert after == before
    assert after[f"{WORK_ITEM}/{item_id}"]["aspectData"]["formBuilder"]["formData"]["aderant-matter-code"] == "82001-A"
    assert after[f"{WORK_ITEM}/{item_id}/phase"]["systemName"] == move["toPhaseSystemName"]
    assert seeded.status_code == 200


def test_shutdown_writes_what_a_save_still_under_way_had_taken(
    aderant_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A periodic save marks the state saved, then writes on a worker thread; a process that ends
    meanwhile would lose that write (its end does not wait for the thread), so shutdown writes again."""
    state_file = tmp_path / "sandbox-state.json"
    app = started(aderant_url, state_file)
    saved = app.state.sandbox.state_file
    with TestClient(app, base_url=BASE_URL) as http:
        monkeypatch.setattr(saved, "save_changes", lambda: asyncio.sleep(3600))  # no periodic write lands
        _, item_id = create_matter_with_a_new_contact(http, staff(app))
        assert saved._document_if_changed() is not None  # what the periodic save had taken and marked
        assert not state_file.exists() or item_id not in state_file.read_text()
    assert item_id in state_file.read_text()


def test_a_change_is_saved_while_the_sandbox_runs(aderant_url: str, tmp_path: Path) -> None:
    """So a demo stopped without a clean shutdown keeps what it did, less the last moment."""
    state_file = tmp_path / "sandbox-state.json"
    app = started(aderant_url, state_file)
    with TestClient(app, base_url=BASE_URL) as http:
        _, item_id = create_matter_with_a_new_contact(http, staff(app))

        wait_until(lambda: state_file.exists() and item_id in state_file.read_text(), "the new work item was saved")
        assert app.state.sandbox.state_file.save_if_changed() is False, "nothing changed since: nothing to write"
        assert [p.name for p in tmp_path.iterdir()] == ["sandbox-state.json"], "no temporary file is left behind"


def test_a_reset_is_saved_too(aderant_url: str, tmp_path: Path) -> None:
    state_file = tmp_path / "sandbox-state.json"
    app = started(aderant_url, state_file)
    with TestClient(app, base_url=BASE_URL) as http:
        _, item_id = create_matter_with_a_new_contact(http, staff(app))
        assert http.post("/_sandbox/reset").status_code == 204

    restarted = started(aderant_url, state_file)
    with TestClient(restarted, base_url=BASE_URL) as http:
        assert http.get(f"{WORK_ITEM}/{item_id}", headers=staff(restarted)).status_code == 404
    assert item_id not in state_file.read_text()


def test_an_unreadable_state_file_is_moved_aside_and_the_seed_used(
    aderant_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    state_file = tmp_path / "sandbox-state.json"
    state_file.write_text(json.dumps({"format": 1, "tenants": {"production": {"people": [{"id": "x"}]}}}))

    with caplog.at_level(logging.WARNING, logger="sandbox.saved_state"):
        sandbox = Sandbox(BASE_URL, state_file=state_file)

    assert not state_file.exists()
    assert "could not be read" in caplog.text and "starting from the seed" in caplog.text
    aside = tmp_path / "sandbox-state.json.unreadable"
    assert json.loads(aside.read_text())["tenants"]["production"]["people"] == [{"id": "x"}]
    assert IMPORTED_WORK_ITEM_ID in sandbox.tenants["production"].state.work_items


def test_without_a_state_file_nothing_is_written(aderant_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    app = started(aderant_url, None)
    with TestClient(app, base_url=BASE_URL) as http:
        create_matter_with_a_new_contact(http, staff(app))

    assert app.state.sandbox.state_file is None
    assert list(tmp_path.iterdir()) == []


def test_contacts_keep_their_addresses_and_creation_times(aderant_url: str, tmp_path: Path) -> None:
    state_file = tmp_path / "sandbox-state.json"
    first = started(aderant_url, state_file)
    with TestClient(first, base_url=BASE_URL):
        seeded = first.state.sandbox.tenants["production"].state
        before = (dict(seeded.people), dict(seeded.organisations))
        assert any(p.locations for p in seeded.people.values()) and any(p.created for p in seeded.people.values())
        seeded.revision += 1  # a change, so the shutdown saves

    restarted = started(aderant_url, state_file)
    with TestClient(restarted, base_url=BASE_URL):
        state = restarted.state.sandbox.tenants["production"].state
        assert (state.people, state.organisations) == before


def test_changes_are_saved_once_the_calls_pause_or_at_the_latest_after_most_checks(
    aderant_url: str, tmp_path: Path
) -> None:
    """A save makes its document on the sandbox's event loop: made amid a burst of calls (an import's
    fifty contact creates), it would delay their answers as no real Clio Operate does."""
    app = started(aderant_url, tmp_path / "sandbox-state.json")
    http, auth = TestClient(app, base_url=BASE_URL), staff(app)  # no lifespan: no periodic save runs
    schedule = SaveSchedule(app.state.sandbox.state_file, most_checks=3)

    def create() -> None:
        assert http.post(PEOPLE, json={"firstName": "Nora", "surname": "Busy"}, headers=auth).status_code == 200

    assert not schedule.due(), "nothing to save"
    create()
    assert not schedule.due(), "changed since the last check: calls are still coming"
    assert schedule.due(), "unchanged since the last check: saved now"
    app.state.sandbox.state_file.save_if_changed()
    assert not schedule.due()

    create()
    assert not schedule.due()
    create()
    assert not schedule.due()
    create()
    assert schedule.due(), "the third check with unsaved changes saves, quiet or not"
