"""The Connections list shows each environment's last Test connection, not "Ready" while a hop is down."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

from store.environments import EnvironmentStore, LastCheck
from tests.connections.conftest import LIST, PRODUCTION, UAT, csrf, submit
from tests.views.conftest import Service
from views.rendering import ago


def status_of(service: Service, name: str) -> str:
    """The Status cell of environment `name` in the Connections list, as text."""
    page = service.client.get(LIST).text
    row = next(r for r in re.findall(r"<tr>(.*?)</tr>", page, re.S) if f">{name}</a>" in r)
    cell = re.search(r'<td class="connection-status">(.*?)</td>', row, re.S)
    assert cell is not None, row
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", cell[1])).split())


def press_test_connection(service: Service, environment: int = PRODUCTION) -> None:
    edit = f"{LIST}/{environment}"
    response = service.client.post(f"{edit}/test", data={"csrf_token": csrf(service.client.get(edit).text)})
    assert response.status_code == 200


def test_the_list_says_not_tested_until_test_connection_runs(admin: Service) -> None:
    assert status_of(admin, "Production") == "Not tested yet: open it and use Test connection"
    assert "Ready" not in admin.client.get(LIST).text


def test_the_list_shows_the_last_result_and_when_with_the_agent_down_then_up(admin: Service) -> None:
    admin.faults.add("/aderant/*", status=503)
    press_test_connection(admin)

    assert status_of(admin, "Production") == "Aderant agent not reachable · just now"
    assert status_of(admin, "UAT") == "Not tested yet: open it and use Test connection · import writes off"
    page = admin.client.get(LIST).text
    assert '<span class="outcome failed">Aderant agent not reachable</span>' in page
    assert 'title="Test connection by admin@sandbox.test"' in page

    admin.faults.clear()
    press_test_connection(admin)
    assert status_of(admin, "Production") == "All 4 hops answered · just now"


def test_a_missing_setting_is_still_named_first(admin: Service) -> None:
    response = submit(admin, f"{LIST}/{UAT}", f"{LIST}/{UAT}", client_id="")
    assert response.status_code == 303
    press_test_connection(admin, UAT)
    assert status_of(admin, "UAT") == "Missing: Client ID · import writes off"


def test_checks_are_kept_per_organisation(admin: Service) -> None:
    store = EnvironmentStore(admin.store.engine, admin.store.secrets)
    other = admin.store.create_organisation("Another firm", ["system-administrator"])
    check = LastCheck(datetime.now(UTC), True, "All 4 hops answered", "someone@another.example")

    assert store.record_check(other, PRODUCTION, check) is False, "not an environment of that organisation"
    assert store.last_checks(admin.organisation_id) == {} and store.last_checks(other) == {}
    assert store.record_check(admin.organisation_id, PRODUCTION, check) is True
    assert list(store.last_checks(admin.organisation_id)) == [PRODUCTION] and store.last_checks(other) == {}


def test_when_reads_as_a_person_says_it() -> None:
    now = datetime(2026, 12, 3, 11, 0, tzinfo=UTC)
    assert ago(now - timedelta(seconds=20), now) == "just now"
    assert ago(now - timedelta(minutes=3, seconds=30), now) == "3 min ago"
    assert ago(datetime(2026, 12, 3, 9, 42, tzinfo=UTC), now) == "09:42 UTC"
    assert ago(datetime(2026, 12, 1, 10, 42, tzinfo=UTC), now) == "2026-12-01 10:42 UTC"
