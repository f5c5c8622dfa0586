"""Close-sync benchmark: remote calls, sequential round trips and wall time of one close-sync dry run.

Builds the demo (as `pms-sync demo` does, with `--matters` generated Aderant matters or 3000,
whichever is more) in a temporary folder. Set-up, not measured:

- `--aderant-closed-share` of the `--matters` generated matters (80 %, a fixed random choice)
  closed in the Aderant database (status CLOSE, a close date, INACTIVE 'Y'), the others open;
- `--matters` work items in the Production sandbox tenant, created in-process through the tenant
  state, each with the `aderant-matter-id` of one generated matter (MATTER_UNO 100000 on), in the
  start phase; `--clio-closed-share` of them (2 %) then moved to `matter-closed`;
- one `MatterImport` row (status "imported", its work item id) per matter in the service's store
  for the demo organisation's Production environment, inserted in one transaction; with the
  demo's own import of 82003 the store then holds `--matters` + 1 imported matters;
- the sandbox served with uvicorn on a free loopback port by a child process forked from this one
  (its own CPU, as a remote system has); a `delay` fault of `--latency` seconds (L) on every Aderant
  agent (`/aderant/*`) and Clio Operate (`/production/*`) call; the service's Clio Operate token
  fetched once.

Measured: one `plugin.close_sync.close_sync_dry_run` over a `Services` on that store and a
`EnvironmentClients` with its own `httpx2.AsyncClient`, in this process's main thread, calling the
sandbox over loopback HTTP; `--runs` times (at least 3), each on a fresh demo. It prints the
remote calls of each system, the most calls in flight at once, the sequential depth
(`sandbox.calls.sequential_depth`) seen from the sandbox (`GET /_sandbox/calls`) and from the
service (its HTTP transport, timed by this benchmark), the wall time, the wall time in units of
L, and the candidates found; every figure as the median and the worst of the runs, with each
run's figure.

The expected candidates are computed apart from close-sync, straight from the Aderant database
(closed: a closed status code of the agent mapping, a close date or INACTIVE 'Y') and the tenant
state (the work item's phase is open). Goals, set for the defaults (10,000 matters, 80 % closed
in Aderant, L = 100 ms): at most 150 calls in every run and a median wall time of at most 40 L.
Exit status 1 when a goal is missed or the candidates found differ from the expected ones, 2 when
the benchmark could not run as intended.

With `--imported N` it measures memory instead: one demo set up as above with N matters, then
`--runs` dry runs (`plugin.close_sync.find_close_candidates`, counting the candidates as they come
and folding their ids into a checksum), each in a fresh process spawned for it, whose peak resident
memory (`resource.getrusage(RUSAGE_SELF).ru_maxrss`, imports included) is the figure. What the
previous run recorded as closed in both systems is cleared before each, so every run does the same
work. Goal, for N = 100,000 (80 % closed in Aderant): a peak of at most 120 MB in every run.

    python benchmarks/close_sync.py [--matters 10000] [--aderant-closed-share 0.8] [--latency 0.1]
                                    [--clio-closed-share 0.02] [--runs 3] [-v] [--tls]
    python benchmarks/close_sync.py --imported 100000 [--aderant-closed-share 0.8] [--latency 0.1]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import multiprocessing
import os
import random
import resource
import statistics
import sys
import tempfile
import time
import zlib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if sys.path and Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(ROOT)  # measure this checkout, with no more import paths than `pms-sync` has
elif str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx2
from sqlalchemy import create_engine, insert, or_, select, update
from sqlmodel import Session, col

from benchmarks.import_depth import (
    MIN_RUNS,
    TLS_HELP,
    ForkedServer,
    SandboxControl,
    loopback_server,
    sandbox_certificate,
    trusted,
)
from benchmarks.measure import BenchmarkError, Figure, Goal, figure, measure_use_case, render, verdict
from sandbox.calls import System, count_by_system, remote_system, sequential_depth
from sandbox.ports import bound_socket_pair, port_of

AGENT_PATH = "/aderant/*"
CLIO_OPERATE_PATH = "/production/*"  # identity and API of the tenant the Production environment uses
TENANT = "production"
FIRST_MATTER_UNO = 100_000  # sandbox.aderant_db.GENERATED_MATTER_FIRST_UNO
WORK_TYPE = "matter-commercial"
OPEN_PHASE = "matter-handling"
CLOSED_PHASE = "matter-closed"
DEMO_GENERATED_MATTERS = 3000
SEED = 20260701
ADERANT_CLOSE_DATE = datetime(2026, 6, 30)
UPDATE_CHUNK = 500  # matter ids per UPDATE, well under SQLite's bound parameters
GOAL_SETTINGS = {"matters": 10_000, "aderant_closed_share": 0.8, "latency": 0.1}
"""The settings the goals are set for."""
CALLS_GOAL = 150
"""Remote calls of the dry run, in every run: 51 agent calls of 200 ids and 80 `findByQuery` of 100."""
WALL_GOAL = 40.0
"""Wall time of the median run, in units of the latency."""
SYSTEMS: dict[System, str] = {"aderant": "Aderant agent", "clio-operate": "Clio Operate"}
MEMORY_GOAL_IMPORTED = 100_000
"""The imported matters the memory goal is set for (with 80 % closed in Aderant)."""
PEAK_RSS_GOAL_MB = 120.0
"""Peak resident memory of the process running the dry run, in every run."""


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
    """As the sandbox logged them."""
    service_calls: list[dict[str, Any]]
    """As the dry run's HTTP transport sent them and read their answers."""
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
        rows = session.execute(select(col(MatterImport.matter_uno), col(MatterImport.work_item_id)).where(
            col(MatterImport.organisation_id) == organisation_id,
            col(MatterImport.environment_id) == environment_id,
            col(MatterImport.status) == "imported",
        )).all()
    return {uno: work_item_id for uno, work_item_id in rows if work_item_id is not None}


def close_in_aderant(database_url: str, matter_unos: list[str], share: float) -> None:
    """Exactly `share` of the matters closed in the Aderant database (a fixed random choice), the others open."""
    from sandbox.aderant_db import HBM_MATTER

    unos = sorted(int(uno) for uno in matter_unos)
    closing = set(random.Random(SEED + 1).sample(unos, round(len(unos) * share)))
    closed = {"STATUS_CODE": "CLOSE", "CLOSE_DATE": ADERANT_CLOSE_DATE, "INACTIVE": "Y"}
    opened = {"STATUS_CODE": "OPEN", "CLOSE_DATE": None, "INACTIVE": "N"}
    engine = create_engine(database_url)
    try:
        with engine.begin() as conn:
            for values, chosen in ((closed, sorted(closing)), (opened, [u for u in unos if u not in closing])):
                for start in range(0, len(chosen), UPDATE_CHUNK):
                    chunk = chosen[start:start + UPDATE_CHUNK]
                    conn.execute(update(HBM_MATTER).where(HBM_MATTER.c.MATTER_UNO.in_(chunk)).values(**values))
    finally:
        engine.dispose()


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


def set_up(
    demo: Any, data_dir: Path, matters: int, aderant_closed_share: float, clio_closed_share: float,
    generated_matters: int,
) -> tuple[Setup, Any, Any]:
    """Work items, imported rows and the expected candidates; (set-up, store, Production settings)."""
    from plugin.settings import Settings
    from plugin.setup import open_store
    from views.demo import ORGANISATION

    clock = time.perf_counter()
    state = demo.sandbox.state.sandbox.tenants[TENANT].state
    work_items = seed_work_items(state, matters, clio_closed_share)
    aderant_url = f"sqlite:///{(data_dir / 'aderant.db').resolve()}"
    close_in_aderant(aderant_url, list(work_items), aderant_closed_share)

    settings = replace(Settings.from_env(), database_url=f"sqlite:///{(data_dir / 'pms-sync.db').resolve()}",
                       secret_keys=(data_dir / "secret.key").read_text().strip())
    store = open_store(settings)
    organisation_id = store.organisation_by_name(ORGANISATION)
    environments = store.environments(organisation_id) if organisation_id is not None else []
    env = next((e for e in environments if e.name == "Production"), None)
    if organisation_id is None or env is None:
        raise BenchmarkError("the demo has no Production environment: has views.demo changed?")
    seed_imports(store, organisation_id, env.id, work_items)

    imported = imported_rows(store, organisation_id, env.id)
    closed = closed_in_aderant(aderant_url, list(imported))
    expected = {
        work_item_id for uno, work_item_id in imported.items()
        if uno in closed and work_item_id in state.work_items and state.work_items[work_item_id].phase.is_open
    }
    saved_state = demo.sandbox.state.sandbox.state_file
    if saved_state is not None:
        saved_state.save_if_changed()  # now, not in the measured dry run: the sandbox saves changes every few seconds
    setup = Setup(
        imported=len(imported), generated_matters=generated_matters, work_items=len(work_items),
        closed_in_clio=sum(not state.work_items[w].phase.is_open for w in work_items.values()),
        closed_in_aderant=len(closed), expected=expected, seconds=time.perf_counter() - clock,
    )
    return setup, store, env


async def dry_run(store: Any, env: Any, control: SandboxControl, latency: float, ca_bundle: str) -> Measurement:
    from clients.aderant import STATUS_IDS_PER_CALL
    from clients.clio_operate import WORK_ITEM_IDS_PER_QUERY
    from plugin.close_sync import close_sync_dry_run

    measured = await measure_use_case(
        store, env, control, lambda services: close_sync_dry_run(services, env),
        what="the dry run", latency=latency, delayed=(AGENT_PATH, CLIO_OPERATE_PATH), ca_bundle=ca_bundle,
    )
    calls, service_calls = measured.calls, measured.service_calls
    if count_by_system(calls) != count_by_system(service_calls):
        raise BenchmarkError(
            f"the dry run sent {dict(count_by_system(service_calls))} calls and the sandbox logged "
            f"{dict(count_by_system(calls))}: the two views of the depth would not be of the same calls"
        )
    bounds = {
        "aderant": (STATUS_IDS_PER_CALL, measured.remotes.agent(env).concurrency),
        "clio-operate": (WORK_ITEM_IDS_PER_QUERY, measured.remotes.clio(env).concurrency),
    }
    return Measurement(calls, service_calls, measured.started, measured.wall, [c.work_item_id for c in measured.result], bounds)


def run(
    matters: int, latency: float, aderant_closed_share: float, clio_closed_share: float, tls: bool
) -> tuple[Setup, Measurement]:
    """One run on a fresh demo: set-up, then the measured dry run."""
    os.environ.setdefault("PMS_SYNC_LOG_LEVEL", "WARNING")  # the demo reads its settings from it
    from views.demo import build_demo

    with tempfile.TemporaryDirectory(prefix="pms-sync-close-sync-") as folder:
        data_dir = Path(folder)
        sockets = bound_socket_pair()  # the service's (P) and the sandbox's (P + 1)
        port = port_of(sockets[0])
        generated = max(DEMO_GENERATED_MATTERS, matters)
        certificate = sandbox_certificate(tls, folder)
        demo = build_demo(host="127.0.0.1", port=port, data_dir=data_dir, generated_matters=generated,
                          sandbox_certificate=certificate.certificate_file if certificate else None)
        setup, store, env = set_up(demo, data_dir, matters, aderant_closed_share, clio_closed_share, generated)
        store.engine.dispose()  # no connection of this process crosses the fork
        sandbox = ForkedServer(loopback_server(demo.sandbox, sockets[1], certificate))  # after the set-up: seeded state
        sandbox.start()
        control = SandboxControl(demo.info["sandbox_url"], trusted(certificate))
        try:
            control.wait_until_up()
            return setup, asyncio.run(dry_run(store, env, control, latency, trusted(certificate)))
        finally:
            control.http.close()
            sandbox.stop()
            store.engine.dispose()


@dataclass
class MemoryRun:
    peak_mb: float
    """The dry run's process at its peak (`ru_maxrss`), imports and all."""
    before_mb: float
    """The same process once its imports were loaded and its Clio Operate token fetched (`VmRSS`)."""
    high_water_mb: float
    """Its peak as /proc shows it (`VmHWM`): a check on `peak_mb`."""
    wall: float
    found: int
    digest: int
    """An order-free checksum of the candidates' work item ids (`ids_digest`)."""
    calls: dict[System, int]


def ids_digest(ids: Any) -> int:
    """The sum of the ids' CRC-32s, modulo 2^64: equal for equal collections, whatever their order."""
    return sum(zlib.crc32(i.encode()) for i in ids) % 2**64


def measure_memory(database_url: str, secret_key: str, organisation_id: int, environment_id: int) -> MemoryRun:
    """In a fresh (spawned) process: one close-sync dry run that counts its candidates as they come,
    holding none; the process's peak resident memory."""
    from clients.remote_clients import RemoteClients
    from plugin.close_sync import CloseCandidate, find_close_candidates
    from plugin.environment_clients import EnvironmentClients
    from plugin.services import Services
    from store.db import make_engine
    from store.repository import Store
    from store.secrets import SecretBox

    store = Store(make_engine(database_url), SecretBox(secret_key))
    env = store.environment(organisation_id, environment_id)
    if env is None:
        raise BenchmarkError(f"environment {environment_id} of organisation {organisation_id} is not in the database")
    found, digest = 0, 0

    def count(candidate: CloseCandidate) -> None:
        nonlocal found, digest
        found += 1
        digest = (digest + zlib.crc32(candidate.work_item_id.encode())) % 2**64

    async def dry_run() -> tuple[float, float]:
        async with httpx2.AsyncClient() as http:
            services = Services(store, EnvironmentClients(RemoteClients(http, timeout=60)))
            await services.remotes.clio(env).check_token()
            before = proc_status_mb("VmRSS")
            clock = time.perf_counter()
            await find_close_candidates(services, env, count)
            return before, time.perf_counter() - clock

    before, wall = asyncio.run(dry_run())
    store.engine.dispose()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return MemoryRun(peak, before, proc_status_mb("VmHWM"), wall, found, digest, {})


def proc_status_mb(field: str) -> float:
    """A size from /proc/self/status (`VmRSS` now, `VmHWM` this process image's peak), 0 without /proc."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return 0.0
    return next((int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith(f"{field}:")), 0.0)


def idle() -> None:
    """Nothing: started first, so a measuring process exists before the set-up makes this one big."""


def memory_benchmark(imported: int, latency: float, aderant_closed_share: float, clio_closed_share: float,
                     runs: int) -> tuple[Setup, list[MemoryRun]]:
    """One demo with `imported` imported matters; `runs` dry runs, each in a fresh spawned process,
    with what close-sync recorded as closed in both systems cleared before each, so every run
    does the same work.

    The measuring processes are started before the set-up: a new process's peak resident size
    (`ru_maxrss`) counts the process it was started from as it was then, which, once it holds
    the demo's seeded work items, is far more than the dry run's."""
    os.environ.setdefault("PMS_SYNC_LOG_LEVEL", "WARNING")
    from store.models import MatterImport
    from views.demo import build_demo

    spawn = multiprocessing.get_context("spawn")
    pools = [ProcessPoolExecutor(max_workers=1, mp_context=spawn) for _ in range(runs)]
    results = []
    try:
        for pool in pools:
            pool.submit(idle).result()
        with tempfile.TemporaryDirectory(prefix="pms-sync-close-sync-memory-") as folder:
            data_dir = Path(folder)
            sockets = bound_socket_pair()  # the service's (P) and the sandbox's (P + 1)
            port = port_of(sockets[0])
            generated = max(DEMO_GENERATED_MATTERS, imported)
            demo = build_demo(host="127.0.0.1", port=port, data_dir=data_dir, generated_matters=generated)
            setup, store, env = set_up(demo, data_dir, imported, aderant_closed_share, clio_closed_share, generated)
            database_url = str(store.engine.url)
            secret_key = (data_dir / "secret.key").read_text().strip()
            store.engine.dispose()
            sandbox = ForkedServer(loopback_server(demo.sandbox, sockets[1]))
            sandbox.start()
            control = SandboxControl(demo.info["sandbox_url"])
            try:
                control.wait_until_up()
                if latency:
                    control.delay(AGENT_PATH, latency)
                    control.delay(CLIO_OPERATE_PATH, latency)
                for pool in pools:
                    with Session(store.engine) as session:
                        session.execute(update(MatterImport).values(closed_in_both_at=None))
                        session.commit()
                    store.engine.dispose()
                    control.clear_calls()
                    result = pool.submit(measure_memory, database_url, secret_key, env.organisation_id, env.id).result()
                    result.calls = dict(count_by_system(control.calls()))
                    results.append(result)
            finally:
                control.http.close()
                sandbox.stop()
                store.engine.dispose()
    finally:
        for pool in pools:
            pool.shutdown()
    return setup, results


def memory_report(setup: Setup, runs: list[MemoryRun], latency: float) -> tuple[bool, list[str]]:
    """(the goal is met and the candidates are right, the lines to print)."""
    peak = figure([r.peak_mb for r in runs])
    lines = [
        f"  peak RSS MB: {peak.show('{:.1f}')}",
        f"  RSS MB once imports were loaded, before the dry run: {figure([r.before_mb for r in runs]).show('{:.1f}')}",
        f"  peak as /proc/self/status VmHWM shows it, MB: {figure([r.high_water_mb for r in runs]).show('{:.1f}')}",
        f"  wall s: {figure([r.wall for r in runs]).show('{:.1f}')}" + (
            f"; wall / L: {figure([r.wall / latency for r in runs]).show('{:.0f}')}" if latency else ""),
    ]
    for system, name in SYSTEMS.items():
        lines.append(f"  {name} calls: {figure([r.calls.get(system, 0) for r in runs]).show()}")
    lines.append(f"  candidates found: {figure([r.found for r in runs]).show('{:,.0f}')} (expected {len(setup.expected):,})")
    right = all(r.found == len(setup.expected) and r.digest == ids_digest(setup.expected) for r in runs)
    lines.append("")
    met = True
    if setup.imported - 1 == MEMORY_GOAL_IMPORTED:  # the demo's own 82003 is imported too
        met, line = verdict(Goal("peak RSS MB of the dry run's process", PEAK_RSS_GOAL_MB, "every run"), peak, "{:.1f}")
        lines += ["Goals:", f"  {line}"]
    else:
        lines.append(f"Goals: not checked; the memory goal is set for {MEMORY_GOAL_IMPORTED:,} imported matters.")
    lines.append("OK: close-sync found the expected candidates in every run." if right
                 else "MISMATCH: the candidates found differ from the expected ones.")
    return met and right, lines


def expected_calls(setup: Setup, bounds: dict[str, tuple[int, int]]) -> dict[str, int]:
    """One `matter-statuses` call per 200 imported matters; one `findByQuery` per 100 closed in Aderant
    (open ones), and one per 100 of those not open in Clio Operate (closed ones)."""
    per_query = bounds["clio-operate"][0]
    return {
        "aderant": math.ceil(setup.imported / bounds["aderant"][0]),
        "clio-operate": math.ceil(setup.closed_in_aderant / per_query)
        + math.ceil((setup.closed_in_aderant - len(setup.expected)) / per_query),
    }


def report(setup: Setup, runs: list[Measurement], latency: float) -> list[str]:
    bounds = runs[0].bounds
    expected = expected_calls(setup, bounds)
    header = ("system", "calls", "expected calls", "ids per call", "calls at once", "most in flight",
              "depth, sandbox", "depth, service", "least depth")
    cells = []

    def of(system: str | None, calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [c for c in calls if system is None or remote_system(c["path"]) == system]

    for system, name in SYSTEMS.items():
        per_call, at_once = bounds[system]
        cells.append((
            name, figure([len(of(system, m.calls)) for m in runs]).show(), str(expected[system]), str(per_call),
            str(at_once), figure([most_in_flight(of(system, m.calls)) for m in runs]).show(),
            figure([sequential_depth(of(system, m.calls)) for m in runs]).show(),
            figure([sequential_depth(of(system, m.service_calls)) for m in runs]).show(),
            str(math.ceil(expected[system] / at_once)),
        ))
    # Pipelined: the Clio Operate rounds run beside the agent's, after its first round.
    least = 1 + max(math.ceil(expected[s] / bounds[s][1]) for s in SYSTEMS)
    cells.append((
        "both", calls_figure(runs).show(), str(sum(expected.values())), "", "",
        figure([most_in_flight(m.calls) for m in runs]).show(), figure([sequential_depth(m.calls) for m in runs]).show(),
        figure([sequential_depth(m.service_calls) for m in runs]).show(), str(least),
    ))
    found = figure([len(m.found) for m in runs])
    lines = [render(header, cells), "",
             f"  wall ms: {figure([m.wall * 1000 for m in runs]).show()}"]
    if latency:
        lines.append(f"  wall / L: {wall_figure(runs, latency).show('{:.1f}')}")
    lines.append(
        f"  candidates found: {found.show('{:,.0f}')} (expected {len(setup.expected):,}: {setup.closed_in_aderant:,} "
        f"imported matters closed in Aderant, less {setup.closed_in_aderant - len(setup.expected):,} of them closed in "
        "Clio Operate)"
    )
    return lines


def calls_figure(runs: list[Measurement]) -> Figure:
    return figure([len(m.calls) for m in runs])


def wall_figure(runs: list[Measurement], latency: float) -> Figure:
    return figure([m.wall / latency for m in runs])


def goals(runs: list[Measurement], latency: float) -> list[tuple[bool, str]]:
    return [
        verdict(Goal("remote calls of the dry run", CALLS_GOAL, "every run"), calls_figure(runs)),
        verdict(Goal("wall / L", WALL_GOAL, "median"), wall_figure(runs, latency), "{:.1f}"),
    ]


def timeline(measurement: Measurement) -> list[str]:
    """Each call in the order it started, in ms from the start of the dry run, as the sandbox and
    as the service saw it."""
    started = measurement.started
    lines = [("  calls, ms from the start of the dry run (gaps before the first call and between rounds are "
              "the service's and the sandbox's own time)")]
    for side, calls in (("sandbox", measurement.calls), ("service", measurement.service_calls)):
        lines.append(f"   {side}:")
        lines += [
            f"    {(c['started'] - started) * 1000:7.1f} → {(c['finished'] - started) * 1000:7.1f}  "
            f"{c['method']} {c['path']}"
            for c in sorted(calls, key=lambda c: c["started"])
        ]
    lines.append(f"    {measurement.wall * 1000:7.1f}    the dry run returns")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--matters", type=int, default=GOAL_SETTINGS["matters"],
                        help="imported matters, each with its work item (default 10000)")
    parser.add_argument("--aderant-closed-share", type=float, default=GOAL_SETTINGS["aderant_closed_share"],
                        help="share of those matters closed in Aderant (default 0.8)")
    parser.add_argument("--latency", type=float, default=GOAL_SETTINGS["latency"],
                        help="seconds injected into every Aderant agent and Clio Operate call (default 0.1)")
    parser.add_argument("--clio-closed-share", type=float, default=0.02,
                        help="share of the work items already closed in Clio Operate (default 0.02)")
    parser.add_argument("--runs", type=int, default=MIN_RUNS,
                        help=f"runs, each on a fresh demo (default and least {MIN_RUNS})")
    parser.add_argument("--imported", type=int, default=None,
                        help="measure peak memory instead: a dry run over this many imported matters, each run in a "
                             f"fresh process (goal set for {MEMORY_GOAL_IMPORTED})")
    parser.add_argument("-v", "--verbose", action="store_true", help="also print every call of the slowest dry run")
    parser.add_argument("--tls", action="store_true", help=TLS_HELP)
    args = parser.parse_args(argv)
    if args.matters < 1 or (args.imported is not None and args.imported < 1):
        parser.error("--matters and --imported must be at least 1")
    if args.latency < 0:
        parser.error("--latency must not be negative")
    for share in ("aderant_closed_share", "clio_closed_share"):
        if not 0 <= getattr(args, share) <= 1:
            parser.error(f"--{share.replace('_', '-')} must be between 0 and 1")
    if args.runs < MIN_RUNS:
        parser.error(f"--runs must be at least {MIN_RUNS}: figures are the median and the worst of the runs")

    if args.imported is not None:
        return memory_main(args)
    print("PMS Sync close-sync benchmark: dry run in this process, sandbox served by uvicorn in a forked one, "
          f"loopback {'HTTPS' if args.tls else 'HTTP'}, SQLite")
    print(f"  L = {args.latency * 1000:.0f} ms injected into every Aderant agent and Clio Operate call; "
          f"{args.runs} runs on fresh demos; {os.cpu_count()} CPUs", flush=True)
    try:
        clock = time.perf_counter()
        results = [run(args.matters, args.latency, args.aderant_closed_share, args.clio_closed_share, args.tls)
                   for _ in range(args.runs)]
        total = time.perf_counter() - clock
    except BenchmarkError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 2
    setup = results[0][0]
    runs = [measurement for _, measurement in results]
    if len({(s.imported, s.closed_in_aderant, len(s.expected)) for s, _ in results}) > 1:
        print("benchmark failed: the set-up differed between runs", file=sys.stderr)
        return 2
    agent, clio = runs[0].bounds["aderant"], runs[0].bounds["clio-operate"]
    print(f"  concurrency bounds: agent {agent[1]} concurrent matter-statuses calls of {agent[0]} ids; "
          f"Clio Operate {clio[1]} concurrent findByQuery calls of {clio[0]} ids")
    print(f"  set-up (not measured), per run: {setup.generated_matters:,} generated Aderant matters; "
          f"{setup.work_items:,} work items in Production, {setup.closed_in_clio:,} closed in Clio Operate; "
          f"{setup.imported:,} imported matters in the store (with the demo's 82003), {setup.closed_in_aderant:,} "
          f"of them closed in Aderant; {statistics.median(s.seconds for s, _ in results):.1f} s to seed; "
          f"{total:.1f} s for every run in all")
    print()
    print("\n".join(report(setup, runs, args.latency)))
    print("  each figure: median / worst (every run's, in order); least depth: the expected calls in rounds of the "
          "concurrency bound; for both, one agent round then the longer of the two, as they overlap")
    if args.verbose:
        print()
        print("\n".join(timeline(max(runs, key=lambda m: m.wall))))
    print()
    failed = False
    settings = {"matters": args.matters, "aderant_closed_share": args.aderant_closed_share, "latency": args.latency}
    if settings == GOAL_SETTINGS:
        checks = goals(runs, args.latency)
        print("Goals:")
        for _, line in checks:
            print(f"  {line}")
        failed = not all(met for met, _ in checks)
    else:
        print("Goals: not checked; they are set for 10,000 matters, 80 % closed in Aderant and L = 100 ms.")
    for run_setup, measurement in results:
        found = set(measurement.found)
        if found != run_setup.expected or len(measurement.found) != len(run_setup.expected):
            missing, extra = run_setup.expected - found, found - run_setup.expected
            print(f"MISMATCH: close-sync found {len(measurement.found):,} candidates, expected "
                  f"{len(run_setup.expected):,} ({len(missing):,} missing, {len(extra):,} unexpected).")
            failed = True
            break
    else:
        print(f"OK: close-sync found the {len(setup.expected):,} expected candidates in every run.")
    if failed:
        print("FAILED: a goal was missed or the candidates were wrong (-v shows each call of the slowest run).")
        return 1
    return 0


def memory_main(args: argparse.Namespace) -> int:
    print("PMS Sync close-sync memory benchmark: each dry run in a fresh spawned process counting its candidates, "
          "sandbox served by uvicorn in a forked one, loopback HTTP, SQLite")
    print(f"  {args.imported:,} imported matters, {args.aderant_closed_share:.0%} closed in Aderant, "
          f"{args.clio_closed_share:.0%} of their work items closed in Clio Operate; L = {args.latency * 1000:.0f} ms; "
          f"{args.runs} runs on one demo", flush=True)
    try:
        clock = time.perf_counter()
        setup, runs = memory_benchmark(args.imported, args.latency, args.aderant_closed_share,
                                       args.clio_closed_share, args.runs)
    except BenchmarkError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 2
    print(f"  set-up (not measured): {setup.imported:,} imported matters in the store (with the demo's 82003), "
          f"{setup.closed_in_aderant:,} closed in Aderant; {setup.seconds:.1f} s to seed; "
          f"{time.perf_counter() - clock:.1f} s in all")
    print()
    ok, lines = memory_report(setup, runs, args.latency)
    print("\n".join(lines))
    if not ok:
        print("FAILED: the memory goal was missed or the candidates were wrong.")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
