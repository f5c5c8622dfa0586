"""Close-sync benchmark: remote calls, sequential round trips and wall time of one close-sync dry run.

Builds the demo (as `pms-sync demo` does, with `--matters` generated Aderant matters or 3000,
whichever is more) in a temporary folder and serves the sandbox with uvicorn on a free loopback
port from a background thread of this process. Set-up, not measured:

- `--matters` work items in the Production sandbox tenant, created in-process through the tenant
  state, each with the `aderant-matter-id` of one generated matter (MATTER_UNO 100000 on), in the
  start phase; `--clio-closed-share` of them (2 %) then moved to `matter-closed`;
- one `MatterImport` row (status "imported", its work item id) per matter in the service's store
  for the demo organisation's Production environment, inserted in one transaction; with the
  demo's own import of 82003 the store then holds `--matters` + 1 imported matters;
- a `delay` fault of `--latency` seconds on every Aderant agent (`/aderant/*`) and Clio Operate
  (`/production/*`) call, and the service's Clio Operate token fetched once.

Measured: one `plugin.close_sync.close_sync_dry_run` over a `Services` on that store and a
`Connections` with its own `httpx.AsyncClient`, in this process's main thread, calling the
sandbox over loopback HTTP. It prints the remote calls of each system (from `GET /_sandbox/calls`),
the most calls in flight at once, the sequential depth (`sandbox.calls.sequential_depth`), the
wall time, the wall time in units of the latency, and the candidates found.

The expected candidates are computed apart from close-sync, straight from the Aderant database
(closed: a closed status code of the agent mapping, a close date or INACTIVE 'Y') and the tenant
state (the work item's phase is open). Exit status 1 when the candidates found differ from them,
2 when the benchmark could not run as intended.

    python benchmarks/close_sync.py [--matters 10000] [--latency 0.1] [--clio-closed-share 0.02]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if sys.path and Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(ROOT)  # measure this checkout, with no more import paths than `pms-sync` has
elif str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx
from sqlalchemy import create_engine, insert, or_, select
from sqlmodel import Session, col

from benchmarks.import_depth import (
    BenchmarkError,
    SandboxControl,
    ThreadServers,
)
from sandbox.calls import count_by_system, remote_system, sequential_depth
from sandbox.ports import free_port_pair

AGENT_PATH = "/aderant/*"
CLIO_OPERATE_PATH = "/production/*"  # identity and API of the tenant the Production environment uses
TENANT = "production"
FIRST_MATTER_UNO = 100_000  # sandbox.aderant_db.GENERATED_MATTER_FIRST_UNO
WORK_TYPE = "matter-commercial"
OPEN_PHASE = "matter-handling"
CLOSED_PHASE = "matter-closed"
DEMO_GENERATED_MATTERS = 3000
SEED = 20260701


@dataclass
class Setup:
    imported: int
    generated_matters: int
    work_items: int
    closed_in_clio: int
    closed_in_aderant: int
    expected: set[str]
    """Work item ids close-sync must find: closed in Aderant, open in Clio Operate."""
    seconds: float


@dataclass
class Measurement:
    calls: list[dict[str, Any]]
    started: float
    """When the dry run started (seconds since the epoch, as the call log)."""
    wall: float
    found: list[str]
    bounds: dict[str, tuple[int, int]]
    """System → (ids per call, calls at once) the clients were built with."""


def most_in_flight(calls: list[dict[str, Any]]) -> int:
    """The most calls open at once (a call starting as another finishes does not overlap it)."""
    events = sorted([(c["started"], 1) for c in calls] + [(c["finished"], -1) for c in calls],
                    key=lambda event: (event[0], event[1]))
    open_now = most = 0
    for _, step in events:
        open_now += step
        most = max(most, open_now)
    return most


def seed_work_items(state: Any, matters: int, closed_share: float) -> dict[str, str]:
    """One work item per generated matter (MATTER_UNO → work item id); some moved to a closed phase."""
    from sandbox.clio.state import NewWorkItem

    open_phase = state.phase_plan.phase(OPEN_PHASE)
    closed_phase = state.phase_plan.phase(CLOSED_PHASE)
    by_uno = {}
    for index in range(matters):
        uno = str(FIRST_MATTER_UNO + index)
        item = state.create_work_item(NewWorkItem(
            type_system_name=WORK_TYPE,
            title=f"Generated matter {uno}",
            reference=f"ADERANT/{uno}",
            attributes={"aderant-matter-id": uno, "aderant-matter-code": uno},
        ))
        item.phase = open_phase
        by_uno[uno] = item.id
    ids = list(by_uno.values())
    for work_item_id in random.Random(SEED).sample(ids, round(len(ids) * closed_share)):
        state.work_items[work_item_id].phase = closed_phase
    return by_uno


def seed_imports(store: Any, organisation_id: int, environment_id: int, work_items: dict[str, str]) -> None:
    """The `MatterImport` rows of imported matters, in one transaction."""
    from store.models import MatterImport, utcnow

    now = utcnow()
    rows = [
        {"organisation_id": organisation_id, "environment_id": environment_id, "matter_uno": uno,
         "matter_number": uno, "status": "imported", "work_item_id": work_item_id,
         "imported_by": "close-sync benchmark", "started_at": now, "finished_at": now}
        for uno, work_item_id in work_items.items()
    ]
    with Session(store.engine) as session:
        session.execute(insert(MatterImport), rows)
        session.commit()


def imported_rows(store: Any, organisation_id: int, environment_id: int) -> dict[str, str]:
    """MATTER_UNO → work item id of every imported matter of the environment, read from the table."""
    from store.models import MatterImport

    with Session(store.engine) as session:
        rows = session.execute(select(MatterImport.matter_uno, MatterImport.work_item_id).where(
            MatterImport.organisation_id == organisation_id,
            MatterImport.environment_id == environment_id,
            MatterImport.status == "imported",
            col(MatterImport.work_item_id).is_not(None),
        )).all()
    return {uno: work_item_id for uno, work_item_id in rows}


def closed_in_aderant(database_url: str, matter_unos: list[str]) -> set[str]:
    """Those of the matters the Aderant database says are closed, read with SQL rather than the agent."""
    from agent.schema import load_schema

    schema = load_schema(None)
    matter = schema.matter
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(matter.col("matter_uno")).select_from(matter.clause).where(
                or_(matter.col("status_code").in_(sorted(schema.closed_status_codes)),
                    matter.col("close_date").is_not(None),
                    matter.col("inactive") == "Y"),
            )).all()
    finally:
        engine.dispose()
    return {str(row[0]) for row in rows} & set(matter_unos)


def set_up(demo: Any, data_dir: Path, matters: int, clio_closed_share: float, generated_matters: int) -> tuple[Setup, Any, Any]:
    """Work items, imported rows and the expected candidates; (set-up, store, Production settings)."""
    from plugin.settings import Settings
    from plugin.setup import open_store
    from sandbox.demo import ORGANISATION

    clock = time.perf_counter()
    state = demo.sandbox.state.sandbox.tenants[TENANT].state
    work_items = seed_work_items(state, matters, clio_closed_share)

    settings = replace(Settings.from_env(), database_url=f"sqlite:///{(data_dir / 'pms-sync.db').resolve()}",
                       secret_keys=(data_dir / "secret.key").read_text().strip())
    store = open_store(settings)
    organisation_id = store.organisation_by_name(ORGANISATION)
    environments = store.environments(organisation_id) if organisation_id is not None else []
    env = next((e for e in environments if e.name == "Production"), None)
    if organisation_id is None or env is None:
        raise BenchmarkError("the demo has no Production environment: has sandbox.demo changed?")
    seed_imports(store, organisation_id, env.id, work_items)

    imported = imported_rows(store, organisation_id, env.id)
    closed = closed_in_aderant(f"sqlite:///{(data_dir / 'aderant.db').resolve()}", list(imported))
    expected = {
        work_item_id for uno, work_item_id in imported.items()
        if uno in closed and work_item_id in state.work_items and state.work_items[work_item_id].phase.is_open
    }
    setup = Setup(
        imported=len(imported), generated_matters=generated_matters, work_items=len(work_items),
        closed_in_clio=sum(not state.work_items[w].phase.is_open for w in work_items.values()),
        closed_in_aderant=len(closed), expected=expected, seconds=time.perf_counter() - clock,
    )
    return setup, store, env


async def dry_run(store: Any, env: Any, control: SandboxControl, latency: float) -> Measurement:
    from clients.aderant import STATUS_IDS_PER_CALL
    from clients.clio_operate import WORK_ITEM_IDS_PER_QUERY
    from clients.errors import RemoteError
    from plugin.close_sync import close_sync_dry_run
    from plugin.connections import Connections
    from plugin.services import Services

    async with httpx.AsyncClient() as http:
        connections = Connections(http, timeout=60)
        services = Services(store, connections)
        try:
            await connections.clio(env).check_token()  # the service token a running service has cached
            if latency:
                control.delay(AGENT_PATH, latency)
                control.delay(CLIO_OPERATE_PATH, latency)
            control.clear_calls()
            started = time.time()
            clock = time.perf_counter()
            candidates = await close_sync_dry_run(services, env)
            wall = time.perf_counter() - clock
            finished = time.time()
        except RemoteError as exc:
            raise BenchmarkError(f"the dry run failed: {exc}") from exc
        bounds = {
            "aderant": (STATUS_IDS_PER_CALL, connections.agent(env)._concurrency),
            "clio-operate": (WORK_ITEM_IDS_PER_QUERY, connections.clio(env)._concurrency),
        }
    await asyncio.sleep(0.05)  # let the sandbox log the last answer it sent
    calls = [c for c in control.calls() if started <= c["started"] <= finished]
    return Measurement(calls, started, wall, [c.work_item_id for c in candidates], bounds)


def run(matters: int, latency: float, clio_closed_share: float) -> tuple[Setup, Measurement]:
    os.environ.setdefault("PMS_SYNC_LOG_LEVEL", "WARNING")  # the demo reads its settings from it
    from sandbox.demo import build_demo

    with tempfile.TemporaryDirectory(prefix="pms-sync-close-sync-") as folder:
        data_dir = Path(folder)
        port = free_port_pair()
        generated = max(DEMO_GENERATED_MATTERS, matters)
        demo = build_demo(host="127.0.0.1", port=port, data_dir=data_dir, generated_matters=generated)
        setup, store, env = set_up(demo, data_dir, matters, clio_closed_share, generated)
        servers = ThreadServers([(demo.sandbox, port + 1)])  # close-sync is called here, not through the service
        control = SandboxControl(demo.info["sandbox_url"])
        try:
            servers.start()
            control.wait_until_up()
            return setup, asyncio.run(dry_run(store, env, control, latency))
        finally:
            control.http.close()
            servers.stop()
            store.engine.dispose()


def report(setup: Setup, measurement: Measurement, latency: float) -> list[str]:
    by_system = count_by_system(measurement.calls)
    expected_calls = {
        "aderant": math.ceil(setup.imported / measurement.bounds["aderant"][0]),
        "clio-operate": math.ceil(setup.closed_in_aderant / measurement.bounds["clio-operate"][0]),
    }
    header = ("system", "calls", "expected calls", "ids per call", "calls at once", "most in flight",
              "sequential depth", "least depth")
    names = {"aderant": "Aderant agent", "clio-operate": "Clio Operate"}
    cells = []
    for system, name in names.items():
        calls = [c for c in measurement.calls if remote_system(c["path"]) == system]
        per_call, at_once = measurement.bounds[system]
        cells.append((name, str(by_system[system]), str(expected_calls[system]), str(per_call), str(at_once),
                      str(most_in_flight(calls)), str(sequential_depth(calls)),
                      str(math.ceil(expected_calls[system] / at_once))))
    least = sum(math.ceil(expected_calls[s] / measurement.bounds[s][1]) for s in names)
    cells.append(("both", str(len(measurement.calls)), str(sum(expected_calls.values())), "", "",
                  str(most_in_flight(measurement.calls)), str(sequential_depth(measurement.calls)), str(least)))
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(header)]
    lines = ["  ".join(h.rjust(w) if i else h.ljust(w) for i, (h, w) in enumerate(zip(header, widths))),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(line, widths)))
              for line in cells]
    found, expected = len(measurement.found), len(setup.expected)
    lines += [
        "",
        f"  wall time: {measurement.wall * 1000:.0f} ms"
        + (f" = {measurement.wall / latency:.1f} × the latency" if latency else ""),
        (f"  candidates found: {found:,} (expected {expected:,}: {setup.closed_in_aderant:,} imported matters "
         f"closed in Aderant, less {setup.closed_in_aderant - expected:,} of them closed in Clio Operate)"),
    ]
    return lines


def timeline(measurement: Measurement, started: float) -> list[str]:
    """Each call in the order it started, in ms from the start of the dry run."""
    lines = [("  calls, ms from the start of the dry run (gaps before the first call and between rounds are "
              "the service's and the sandbox's own time)")]
    lines += [
        f"    {(c['started'] - started) * 1000:7.1f} → {(c['finished'] - started) * 1000:7.1f}  "
        f"{c['method']} {c['path']}"
        for c in sorted(measurement.calls, key=lambda c: c["started"])
    ]
    lines.append(f"    {measurement.wall * 1000:7.1f}    the dry run returns")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--matters", type=int, default=10_000,
                        help="imported matters, each with its work item (default 10000)")
    parser.add_argument("--latency", type=float, default=0.1,
                        help="seconds injected into every Aderant agent and Clio Operate call (default 0.1)")
    parser.add_argument("--clio-closed-share", type=float, default=0.02,
                        help="share of the work items already closed in Clio Operate (default 0.02)")
    parser.add_argument("-v", "--verbose", action="store_true", help="also print every call of the dry run")
    args = parser.parse_args(argv)
    if args.matters < 1:
        parser.error("--matters must be at least 1")
    if args.latency < 0:
        parser.error("--latency must not be negative")
    if not 0 <= args.clio_closed_share <= 1:
        parser.error("--clio-closed-share must be between 0 and 1")

    print("PMS Sync close-sync benchmark: dry run in this process, sandbox served by uvicorn in a thread, "
          "loopback HTTP, SQLite")
    print(f"  injected latency: {args.latency * 1000:.0f} ms on every Aderant agent and Clio Operate call; "
          f"{os.cpu_count()} CPUs", flush=True)
    try:
        clock = time.perf_counter()
        setup, measurement = run(args.matters, args.latency, args.clio_closed_share)
        total = time.perf_counter() - clock
    except BenchmarkError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 2
    agent, clio = measurement.bounds["aderant"], measurement.bounds["clio-operate"]
    print(f"  concurrency bounds: agent {agent[1]} concurrent matter-statuses calls of {agent[0]} ids; "
          f"Clio Operate {clio[1]} concurrent findByQuery calls of {clio[0]} ids")
    print(f"  set-up (not measured): {setup.generated_matters:,} generated Aderant matters; {setup.work_items:,} "
          f"work items in Production, {setup.closed_in_clio:,} closed in Clio Operate; {setup.imported:,} imported "
          f"matters in the store (with the demo's 82003); {setup.seconds:.1f} s to seed, {total:.1f} s in all")
    print()
    print("\n".join(report(setup, measurement, args.latency)))
    print("  least depth: the calls in rounds of the concurrency bound, agent rounds then Clio Operate rounds")
    if args.verbose:
        print()
        print("\n".join(timeline(measurement, measurement.started)))
    print()
    if set(measurement.found) != setup.expected or len(measurement.found) != len(setup.expected):
        missing, extra = setup.expected - set(measurement.found), set(measurement.found) - setup.expected
        print(f"MISMATCH: close-sync found {len(measurement.found):,} candidates, expected {len(setup.expected):,} "
              f"({len(missing):,} missing, {len(extra):,} unexpected).")
        return 1
    print(f"OK: close-sync found the {len(setup.expected):,} expected candidates.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
