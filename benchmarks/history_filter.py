"""History benchmark: how long a History filter that matches nothing takes over 200,000 import attempts.

A filter that matches nothing is History's worst case: with no row to stop at, the query reads
whatever its index leaves to read, and without the right index that is every attempt of the
environment. Per database (a SQLite file always; PostgreSQL too when `--database` or
PMS_SYNC_TEST_DATABASE_URL names a server, on a throw-away database made there and dropped after):

1. migrates a new database (`alembic upgrade head`, as the service does) and saves one
   organisation with two environments through the store;
2. inserts `--attempts` (200,000) `ImportAttempt` rows straight into the store's table, in
   batches of one `insert(ImportAttempt)` each: 90 % in the first environment, over 40 staff, 5,000
   matter numbers and the year 2026, with the outcomes History shows (imported, already imported,
   failed, refused; none interrupted, so that outcome matches nothing); on PostgreSQL then
   `ANALYZE`, as autovacuum would soon after;
3. times `store.imports.history` (the query behind History's page and `/api/v1/history`, a page of
   51 rows newest first) with each filter below: one unmeasured call, then `--runs` (at least 3)
   timed calls; prints the median and the worst, with every run's figure, and the query plan of
   each filter that misses the goal, with the index that would answer it.

Goal: every filter's median under 10 ms. Exit status 1 when one is missed, 2 when the benchmark
could not run.

    python benchmarks/history_filter.py [--attempts 200000] [--runs 5] [--database postgresql://…]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if sys.path and Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(ROOT)  # measure this checkout, with no more import paths than `pms-sync` has
elif str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, event, insert, text
from sqlalchemy.engine import Engine

from benchmarks.import_depth import MIN_RUNS
from benchmarks.measure import Goal, figure, render, report, verdict
from store.db import make_engine, normalise_url, upgrade
from store.environments import EnvironmentValues
from store.models import ImportAttempt
from store.repository import Store
from store.secrets import SecretBox

ATTEMPTS = 200_000
RUNS = 5
GOAL_MS = 10.0
BATCH = 5_000
SEED = 20261203
USERS = [f"staff{n:02d}@firm.test" for n in range(40)]
MATTERS = [str(300_000 + n) for n in range(5_000)]
OUTCOMES = {"imported": 0.75, "already_imported": 0.12, "failed": 0.08, "refused": 0.05}
YEAR_START = datetime(2026, 1, 1, tzinfo=UTC)
ERROR = "Clio Operate answered 503 Service Unavailable"


Statement = tuple[str, Any]
"""SQL as sent to the database, and its parameters."""


@dataclass(frozen=True)
class Scene:
    organisation_id: int
    environment_id: int
    """Where 90 % of the attempts are."""


@dataclass(frozen=True)
class Filter:
    name: str
    arguments: Callable[[Scene], dict[str, Any]]
    """`store.imports.history`'s keyword arguments, besides the organisation."""
    index: str
    """The index that answers it without reading rows that do not match."""


FILTERS = (
    Filter("outcome (interrupted)", lambda s: {"environment_id": s.environment_id, "outcome": "interrupted"},
           "ix_importattempt_org_env_outcome_id (organisation_id, environment_id, outcome, id)"),
    Filter("matter number", lambda s: {"environment_id": s.environment_id, "matter_number": "999999"},
           "ix_importattempt_org_env_matter_id (organisation_id, environment_id, matter_number, id)"),
    Filter("user", lambda s: {"environment_id": s.environment_id, "user_name": "nobody@firm.test"},
           "ix_importattempt_org_env_user_id (organisation_id, environment_id, user_name, id)"),
    Filter("outcome (interrupted), all environments", lambda s: {"outcome": "interrupted"},
           "an index on (organisation_id, outcome, id)"),
    Filter("user and outcome (refused) of a user with no refusal",
           lambda s: {"environment_id": s.environment_id, "user_name": USERS[0], "outcome": "refused"},
           "an index on (organisation_id, environment_id, user_name, outcome, id)"),
    Filter("days with no attempt (2025)",
           lambda s: {"environment_id": s.environment_id, "started_from": datetime(2025, 3, 1, tzinfo=UTC),
                      "started_before": datetime(2025, 4, 1, tzinfo=UTC)},
           "an index on (organisation_id, environment_id, started_at)"),
)


def seed(store: Store, attempts: int) -> Scene:
    """One organisation, two environments, and `attempts` rows inserted in batches."""
    organisation = store.create_organisation("History benchmark", ("system-administrator",))
    environments = [  # Production, the first, is the default
        store.connections.add(
            organisation,
            EnvironmentValues(
                name, f"https://{name.lower()}.clio.test/identity", f"https://{name.lower()}.clio.test/api",
                client_id="pms-sync", agent_url=f"https://agent.{name.lower()}.test",
                secrets={"client_secret": "secret", "agent_key": "key"},
            ),
            actor="history benchmark",
        )
        for name in ("Production", "UAT")
    ]
    rng = random.Random(SEED)
    outcomes, weights = list(OUTCOMES), list(OUTCOMES.values())
    seconds_in_year = 365 * 24 * 3600
    # Started in order, as attempts are: the id and the start time grow together.
    starts = sorted(rng.randrange(seconds_in_year) for _ in range(attempts))

    def rows(first: int, count: int) -> Iterator[dict[str, Any]]:
        for offset in range(first, first + count):
            outcome = rng.choices(outcomes, weights)[0]
            user = rng.choice(USERS)
            if outcome == "refused" and user == USERS[0]:
                outcome = "failed"  # USERS[0] is never refused: the user-and-outcome filter matches nothing
            started = YEAR_START + timedelta(seconds=starts[offset])
            matter = rng.choice(MATTERS)
            yield {
                "organisation_id": organisation,
                "environment_id": environments[0] if rng.random() < 0.9 else environments[1],
                "matter_uno": matter, "matter_number": matter, "user_name": user,
                "trigger": "manual", "outcome": outcome,
                "work_item_id": f"wi-{offset}" if outcome in ("imported", "already_imported") else None,
                "error": ERROR if outcome == "failed" else None,
                "details": {}, "started_at": started, "finished_at": started + timedelta(seconds=2),
            }

    with store.engine.begin() as connection:
        for first in range(0, attempts, BATCH):
            connection.execute(insert(ImportAttempt), list(rows(first, min(BATCH, attempts - first))))
    if store.engine.dialect.name == "postgresql":
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE importattempt"))
    return Scene(organisation, environments[0])


def timed(store: Store, scene: Scene, query: Filter, runs: int) -> tuple[list[float], int, Statement]:
    """(milliseconds of each timed call, rows found, the SQL sent), after one unmeasured call."""
    arguments = query.arguments(scene)
    sent: list[Statement] = []

    def note(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        sent.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", note)
    try:
        found = len(store.imports.history(scene.organisation_id, limit=51, **arguments))
    finally:
        event.remove(store.engine, "before_cursor_execute", note)
    times = []
    for _ in range(runs):
        clock = time.perf_counter()
        store.imports.history(scene.organisation_id, limit=51, **arguments)
        times.append((time.perf_counter() - clock) * 1000)
    return times, found, sent[-1]


def plan(engine: Engine, statement: Statement) -> list[str]:
    """The database's plan for a statement the store sent, one line a step."""
    sql, parameters = statement
    explain = "EXPLAIN QUERY PLAN" if engine.dialect.name == "sqlite" else "EXPLAIN"
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(f"{explain} {sql}", parameters).all()
    return [str(row[-1]) for row in rows]


@contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    """A throw-away database on the server, dropped afterwards."""
    name = f"pms_sync_history_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_url(server_url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield normalise_url(server_url).rsplit("/", 1)[0] + f"/{name}"
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="pms-sync-history-") as folder:
        yield f"sqlite:///{Path(folder, 'pms-sync.db')}"


def measure(label: str, database: Callable[[], Any], attempts: int, runs: int) -> list[tuple[bool, str]]:
    """Seed one database and time every filter on it; the goal lines."""
    with database() as url:
        upgrade(url)
        engine = make_engine(url)
        try:
            store = Store(engine, SecretBox(SecretBox.generate_key()))
            clock = time.perf_counter()
            scene = seed(store, attempts)
            print(f"\n{label}: {attempts:,} attempts inserted in {time.perf_counter() - clock:.1f} s", flush=True)
            results = [(query, *timed(store, scene, query, runs)) for query in FILTERS]
            print(render(("filter (matching nothing)", "rows", "ms: median / worst (each run)"),
                         [(q.name, str(found), figure(times).show("{:.2f}")) for q, times, found, _ in results]))
            checks = []
            for query, times, found, statement in results:
                met, line = verdict(Goal(f"{label}, {query.name}", GOAL_MS, "median"), figure(times), "{:.2f}")
                if found:
                    met, line = False, f"{line} - but it found {found} rows, not none"
                checks.append((met, line))
                if not met:
                    print(f"  {query.name}: plan {' | '.join(plan(engine, statement))}")
                    print(f"    the index that would answer it: {query.index}")
            return checks
        finally:
            engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attempts", type=int, default=ATTEMPTS, help=f"import attempts inserted (default {ATTEMPTS:,})")
    parser.add_argument("--runs", type=int, default=RUNS, help=f"timed calls per filter (default {RUNS}, least {MIN_RUNS})")
    parser.add_argument("--database", default=os.environ.get("PMS_SYNC_TEST_DATABASE_URL", ""),
                        help="a PostgreSQL server URL to measure on as well, on a database made and dropped there "
                             "(default: PMS_SYNC_TEST_DATABASE_URL; unset, SQLite only)")
    args = parser.parse_args(argv)
    if args.attempts < 1:
        parser.error("--attempts must be at least 1")
    if args.runs < MIN_RUNS:
        parser.error(f"--runs must be at least {MIN_RUNS}: figures are the median and the worst of the runs")
    if args.database and not args.database.startswith(("postgresql://", "postgres://", "postgresql+")):
        parser.error("--database must be a PostgreSQL URL")

    print("PMS Sync History benchmark: store.imports.history (a page of 51, newest first) with filters "
          f"matching nothing; {args.runs} timed calls each after one unmeasured; goal: median under {GOAL_MS:.0f} ms")
    databases: list[tuple[str, Callable[[], Any]]] = [("SQLite", sqlite_database)]
    if args.database:
        databases.append(("PostgreSQL", lambda: postgres_database(args.database)))
    checks: list[tuple[bool, str]] = []
    try:
        for label, database in databases:
            checks += measure(label, database, args.attempts, args.runs)
    except Exception as exc:  # a database that cannot be reached or migrated: nothing was measured
        print(f"benchmark failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    print()
    return report(checks)


if __name__ == "__main__":
    sys.exit(main())
