"""The baseline each import keeps (migration 0022), read back a page at a time for drift."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alembic import command
from sqlalchemy import inspect, text

from store.db import alembic_config
from store.imports import Attempt
from store.repository import Store
from tests.store.test_store import make_env

LEASE = timedelta(minutes=5)


def imported(store: Store, org: int, env: int, number: str, baseline: dict | None) -> None:
    attempt = Attempt(org, env, f"uno-{number}", number, "staff@firm.test")
    claim = store.imports.claim(attempt, LEASE)
    store.imports.succeed(attempt, claim, f"wi-{number}", {}, baseline=baseline)


def test_an_import_keeps_its_baseline_and_drift_reads_them_a_page_at_a_time(store: Store) -> None:
    org = store.create_organisation("Firm", [])
    env = make_env(store, org)
    for n in range(5):
        imported(store, org, env, f"8200{n}", {"version": 1, "title": f"Matter {n}", "parties": [{"name_uno": n}]})
    failing = Attempt(org, env, "uno-failed", "82009", "staff@firm.test")
    store.imports.fail(failing, store.imports.claim(failing, LEASE), "Clio Operate answered 503")

    first = store.imports.baselines(org, env, limit=3)
    rest = store.imports.baselines(org, env, after=first[-1].import_id, limit=3)

    assert [b.matter_number for b in first + rest] == ["82000", "82001", "82002", "82003", "82004"]
    assert first[1].baseline == {"version": 1, "title": "Matter 1", "parties": [{"name_uno": 1}]}
    assert (first[1].matter_uno, first[1].work_item_id) == ("uno-82001", "wi-82001")
    chosen = store.imports.baselines(org, env, matter_numbers=["82003", "82001", "82009"])
    assert [b.matter_number for b in chosen] == ["82001", "82003"], "a failed import has nothing to drift from"


def test_baselines_are_scoped_by_organisation_and_environment(store: Store) -> None:
    org, other_org = store.create_organisation("Firm", []), store.create_organisation("Other", [])
    env, uat, other = make_env(store, org), make_env(store, org, "UAT"), make_env(store, other_org)
    imported(store, org, env, "82001", {"title": "ours"})
    imported(store, org, uat, "82001", {"title": "uat"})
    imported(store, other_org, other, "82001", {"title": "theirs"})

    assert [b.baseline for b in store.imports.baselines(org, env)] == [{"title": "ours"}]
    assert store.imports.baselines(org, other) == []


def test_migration_0022_leaves_earlier_imports_without_a_baseline(store: Store) -> None:
    org = store.create_organisation("Firm", [])
    env = make_env(store, org)
    config = alembic_config(store.engine.url.render_as_string(hide_password=False))
    command.downgrade(config, "0020")
    with store.engine.begin() as connection:
        assert "baseline" not in {c["name"] for c in inspect(connection).get_columns("matterimport")}
        connection.execute(
            text(
                "INSERT INTO matterimport (organisation_id, environment_id, matter_uno, matter_number, status, "
                "work_item_id, imported_by, started_at, adopted) "
                "VALUES (:org, :env, 'uno-82001', '82001', 'imported', 'wi-82001', 'staff@firm.test', :now, false)"
            ),
            {"org": org, "env": env, "now": datetime.now(UTC)},
        )
    command.upgrade(config, "head")  # through 0022, leaving the database as the other tests expect it

    [earlier] = store.imports.baselines(org, env)
    assert earlier.baseline is None
