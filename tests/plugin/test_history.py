"""History's use cases: filters by day in the organisation's time zone, by user and across all
environments for administrators; display names; the time zone setting; the CSV export."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from plugin.errors import Forbidden, InvalidInput
from plugin.history import HistoryFilter, history_entry, history_page, history_people
from plugin.history_export import history_csv, spreadsheet_safe
from plugin.time_zone import organisation_zone, set_organisation_zone, shown
from store.environments import EnvironmentStore
from tests.store.test_history_store import attempt
from tests.store.test_store import make_env

SYDNEY = ZoneInfo("Australia/Sydney")


async def csv_text(*args, **kwargs) -> str:  # type: ignore[no-untyped-def]
    return "".join([line async for line in await history_csv(*args, **kwargs)])


@pytest.fixture
def firm(world):  # type: ignore[no-untyped-def]
    services, env, _agent, _clio = world
    return services, env


async def test_a_day_is_a_day_in_the_organisations_time_zone(firm) -> None:  # type: ignore[no-untyped-def]
    services, env = firm
    store, org = services.store, env.organisation_id
    # 2 December 23:30 in UTC is already 3 December in Sydney (UTC+11 in summer).
    late = attempt(store, org, env.id, "82001", "ada@firm.test", "imported", datetime(2026, 12, 2, 13, 30, tzinfo=UTC))
    the_3rd = HistoryFilter(first_day=datetime(2026, 12, 3).date(), last_day=datetime(2026, 12, 3).date())
    assert [e.id for e in (await history_page(services, env, the_3rd)).items] == []
    await set_organisation_zone(services, org, "admin@firm.test", "Australia/Sydney")
    assert [e.id for e in (await history_page(services, env, the_3rd)).items] == [late]
    the_2nd = HistoryFilter(last_day=datetime(2026, 12, 2).date())
    assert (await history_page(services, env, the_2nd)).items == []


def test_a_range_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(InvalidInput, match="From date is after the To date"):
        HistoryFilter(first_day=datetime(2026, 12, 3).date(), last_day=datetime(2026, 12, 2).date())


async def test_the_time_zone_must_be_an_iana_name(firm) -> None:  # type: ignore[no-untyped-def]
    services, env = firm
    for bad in ("Mars/Olympus", "", "../../etc/passwd", "Europe/London\x00"):
        with pytest.raises(InvalidInput, match="is not a time zone"):
            await set_organisation_zone(services, env.organisation_id, "admin@firm.test", bad)
    assert (await organisation_zone(services, env.organisation_id)).key == "UTC"
    assert await set_organisation_zone(services, env.organisation_id, "admin@firm.test", " Europe/London ") is True
    assert (await organisation_zone(services, env.organisation_id)).key == "Europe/London"


def test_times_are_shown_in_the_zone_with_its_name() -> None:
    stored = datetime(2026, 12, 3, 10, 15, 2)  # SQLite hands back UTC without an offset
    assert shown(stored, SYDNEY) == "2026-12-03 21:15:02 AEDT"
    assert shown(stored, ZoneInfo("UTC"), seconds=False) == "2026-12-03 10:15 UTC"
    assert shown(datetime(2026, 7, 1, 10, tzinfo=UTC), ZoneInfo("Europe/London")) == "2026-07-01 11:00:00 BST"
    assert shown(None, SYDNEY) == ""


async def test_history_names_people_by_their_display_name_and_filters_by_user(firm) -> None:  # type: ignore[no-untyped-def]
    services, env = firm
    store, org = services.store, env.organisation_id
    when = datetime(2026, 12, 3, tzinfo=UTC)
    ada = attempt(store, org, env.id, "82001", "ada@firm.test", "imported", when)
    bob = attempt(store, org, env.id, "82002", "bob@firm.test", "failed", when)
    store.people.remember(org, "ada@firm.test", "Ada Lovelace")
    page = await history_page(services, env, HistoryFilter())
    assert [(e.id, e.user, e.user_display_name) for e in page.items] == [
        (bob, "bob@firm.test", "bob@firm.test"),  # never signed in here: the user name
        (ada, "ada@firm.test", "Ada Lovelace"),
    ]
    assert [e.id for e in (await history_page(services, env, HistoryFilter(user_name="ada@firm.test"))).items] == [ada]
    assert [(p.user_name, p.display_name) for p in await history_people(services, env)] == [
        ("ada@firm.test", "Ada Lovelace"), ("bob@firm.test", "bob@firm.test"),
    ]
    assert (await history_entry(services, org, ada)).user_display_name == "Ada Lovelace"


async def test_all_environments_are_for_the_organisations_administrators(firm) -> None:  # type: ignore[no-untyped-def]
    services, env = firm
    store, org = services.store, env.organisation_id
    uat = make_env(store, org, "UAT")
    when = datetime(2026, 12, 3, tzinfo=UTC)
    in_prod = attempt(store, org, env.id, "82001", "ada@firm.test", "imported", when)
    in_uat = attempt(store, org, uat, "82002", "ada@firm.test", "refused", when)
    assert EnvironmentStore(store.engine, store.secrets).remove(org, uat, "admin@firm.test")  # removed: History kept
    everywhere = HistoryFilter(all_environments=True)
    with pytest.raises(Forbidden, match="Only administrators can see History across all environments"):
        await history_page(services, env, everywhere)
    page = await history_page(services, env, everywhere, organisation_admin=True)
    assert [(e.id, e.environment) for e in page.items] == [(in_uat, "UAT"), (in_prod, "Production")]
    assert [e.id for e in (await history_page(services, env, HistoryFilter(), organisation_admin=True)).items] == [in_prod]


def test_cells_a_spreadsheet_would_run_are_quoted() -> None:
    for formula in ("=HYPERLINK(\"http://evil\")", "+1", "-1+2", "@SUM(A1)", "\tTAB", "\rCR"):
        assert spreadsheet_safe(formula) == "'" + formula
    for plain in ("82001", "Ada Lovelace", "a=b", "", "'quoted"):
        assert spreadsheet_safe(plain) == plain


async def test_the_csv_holds_what_the_filter_matches_in_the_time_zone_and_only_this_organisation(firm) -> None:  # type: ignore[no-untyped-def]
    services, env = firm
    store, org = services.store, env.organisation_id
    other = store.create_organisation("Other firm", [])
    elsewhere = make_env(store, other, "Production")
    when = datetime(2026, 12, 3, 10, 15, 2, tzinfo=UTC)
    attempt(store, org, env.id, "=cmd|' /C calc'!A0", "@evil@firm.test", "refused", when)
    attempt(store, org, env.id, "82001", "ada@firm.test", "imported", when)
    attempt(store, other, elsewhere, "99999", "other@other.test", "imported", when)
    store.people.remember(org, "ada@firm.test", "-Ada")
    await set_organisation_zone(services, org, "admin@firm.test", "Australia/Sydney")

    text = await csv_text(services, env, HistoryFilter())
    lines = text.split("\r\n")
    assert lines[0] == (
        "Started (Australia/Sydney),Finished (Australia/Sydney),Environment,Matter,Name,User name,Trigger,Outcome,"
        "Work item,Work item URL,Error,Reference"
    )
    assert lines[1] == "2026-12-03 21:15:02,2026-12-03 21:15:02,Production,82001,'-Ada,ada@firm.test,manual,imported,,,,"
    assert lines[2] == (
        "2026-12-03 21:15:02,2026-12-03 21:15:02,Production,'=cmd|' /C calc'!A0,'@evil@firm.test,'@evil@firm.test,"
        "manual,refused,,,,"
    )
    assert len(lines) == 4 and lines[3] == ""
    assert "99999" not in text and "other@other.test" not in text
    only_ada = await csv_text(services, env, HistoryFilter(user_name="ada@firm.test"))
    assert only_ada.count("\r\n") == 2 and "82001" in only_ada


async def test_the_csv_has_every_page_and_refuses_all_environments_to_staff(firm) -> None:  # type: ignore[no-untyped-def]
    services, env = firm
    when = datetime(2026, 12, 3, tzinfo=UTC)
    for n in range(450):  # more than two pages of the export
        attempt(services.store, env.organisation_id, env.id, f"M{n}", "ada@firm.test", "imported", when)
    text = await csv_text(services, env, HistoryFilter(limit=10))
    matters = [line.split(",")[3] for line in text.split("\r\n")[1:-1]]
    assert matters == [f"M{n}" for n in reversed(range(450))]
    with pytest.raises(Forbidden):
        await history_csv(services, env, HistoryFilter(all_environments=True))
