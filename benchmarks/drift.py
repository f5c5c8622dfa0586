"""Drift benchmark: remote calls, sequential depth and wall time of drift over many imported matters.

Builds the demo (as `pms-sync demo` does, with `--matters` generated Aderant matters or 3000,
whichever is more) in a temporary folder. Set-up, not measured:

- for each of `--matters` generated matters (MATTER_UNO 100000 on), its baseline as an import
  keeps it (plugin/drift.py: the matter read straight from the Aderant database with the agent's
  own queries, mapped with the default mapping, each party given a contact id) and a work item in
  the Production sandbox tenant holding exactly that (title, reference, attributes, key dates,
  participants), created in-process through the tenant state; one `MatterImport` row with the
  baseline per matter, inserted in one transaction (the demo's own 82003 has none);
- then `--aderant-share` of the matters (5 %, a fixed random choice) renamed in Aderant, and
  `--clio-share` (2 %, another) with their `aderant-office` attribute edited in Clio Operate;
- the sandbox served with uvicorn on a free loopback port by a child process forked from this one;
  a `delay` fault of `--latency` seconds (L) on every Aderant agent (`/aderant/*`) and Clio
  Operate (`/production/*`) call; the service's Clio Operate token fetched once.

Measured: one `plugin.drift_reads.drift_for` over every imported matter, in this process, calling
the sandbox over loopback HTTP; `--runs` times (at least 3), each on a fresh demo. It prints the
calls of each kind (the agent's many-matters call and its parties pages, findByQuery, the work
item reads for key dates and participants), the sequential depth seen from the sandbox, the wall
time and the wall time in units of L, every figure as the median and the worst of the runs.

Goals, set for the defaults (10,000 matters, L = 100 ms), in every run: no agent call per matter
(at most one call per 10 matters; the fewest is one many-matters call per 50, plus a parties page
per matter of over 20 parties), Clio Operate calls exactly one search per 100 work items + 2N work
item reads, and the drifts found exactly the changes made; for the median run a wall time of at
most 900 L (measured on 2 CPUs: 600 to 700 L, the work item reads bound by CPU more than by their
rounds of the default fan-out bound, 64). Exit status 1 when a goal is missed or the drifts differ
from the changes made, 2 when the benchmark could not run.

    python benchmarks/drift.py [--matters 10000] [--latency 0.1] [--aderant-share 0.05]
                               [--clio-share 0.02] [--runs 3] [--tls]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import re
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if sys.path and Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(ROOT)  # measure this checkout, with no more import paths than `pms-sync` has
elif str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert, update
from sqlmodel import Session

from benchmarks.close_sync import AGENT_PATH, CLIO_OPERATE_PATH, DEMO_GENERATED_MATTERS, FIRST_MATTER_UNO, TENANT, WORK_TYPE
from benchmarks.import_depth import (
    MIN_RUNS,
    TLS_HELP,
    ForkedServer,
    SandboxControl,
    loopback_server,
    sandbox_certificate,
    trusted,
)
from benchmarks.measure import BenchmarkError, Goal, figure, measure_use_case, render, verdict
from sandbox.calls import sequential_depth
from sandbox.ports import bound_socket_pair, port_of

SEED = 20261203
PAGE = 1000  # plugin.drift_reads.PAGE
GOAL_SETTINGS = {"matters": 10_000, "latency": 0.1}
DETAILS_PER_CALL = 50  # clients.aderant.DETAIL_IDS_PER_CALL
PARTIES_PER_DETAIL = 20  # agent.app.PARTIES_PER_DETAIL
SEARCH_PER_CALL = 100  # clients.clio_operate.WORK_ITEM_IDS_PER_QUERY
FAN_OUT = 64  # plugin.services.Services.concurrency, the default bound of the work item reads
AGENT_CALL_PER_MATTERS = 10
"""Goal: at most one agent call per this many matters (there is no call per matter)."""
WALL_GOAL = 900.0
"""Wall time of the median run, in units of L. Measured on 2 CPUs: 600 to 700 L, the 20,000 work
item reads bound by the sandbox's and the service's CPU (about 300 calls a second) more than by
their 314 rounds of L."""
CHUNK = 500  # matter ids per read or UPDATE, well under SQLite's bound parameters
KINDS = ("agent: many matters", "agent: parties pages", "Clio Operate: findByQuery", "Clio Operate: work item reads", "other")


@dataclass
class Setup:
    matters: int
    long_matters: int  # with over PARTIES_PER_DETAIL parties: a parties page each
    expected: dict[str, set[str]]  # matter number → the difference kinds drift must find
    seconds: float
    batches: dict[int, int]  # ids per call → the batches drift makes of the store's pages (PAGE a page)


@dataclass
class Measurement:
    calls: list[dict[str, Any]]
    wall: float
    found: dict[str, set[str]]


def kind_of(path: str) -> str:
    if path == "/aderant/v1/matter-details":
        return KINDS[0]
    if re.fullmatch(r"/aderant/v1/matters/[^/]+/parties", path):
        return KINDS[1]
    if path == f"/{TENANT}/api/v1/public/workItem/findByQuery":
        return KINDS[2]
    if re.fullmatch(rf"/{TENANT}/api/(v1/public/workItem/[^/]+|v2/public/workItem/[^/]+/participants)", path):
        return KINDS[3]
    return KINDS[4]


def read_matters(aderant_url: str, matter_unos: list[int]) -> list[Any]:
    """The matters with every party, read with the agent's own queries (not through its API)."""
    from agent import queries
    from agent.schema import load_schema
    from clients.aderant_models import MatterDetail

    schema, engine, matters = load_schema(), create_engine(aderant_url), []
    try:
        with engine.connect() as conn:
            for start in range(0, len(matter_unos), CHUNK):
                found = queries.matter_details(conn, schema, matter_unos[start:start + CHUNK], parties_per_matter=10**6)
                matters += [MatterDetail.from_json({**matter, "parties": parties}) for matter, parties in found]
    finally:
        engine.dispose()
    return matters


def set_up(demo: Any, data_dir: Path, matters: int, aderant_share: float, clio_share: float) -> tuple[Setup, Any, Any]:
    """Baselines, work items in step with them, the changes on either side; (set-up, store, Production)."""
    from plugin.drift import baseline_of
    from plugin.mapping import DEFAULT_MAPPING, apply_mapping
    from plugin.settings import Settings
    from plugin.setup import open_store
    from sandbox.aderant_db import HBM_MATTER
    from sandbox.clio.model import Participant, ParticipantRole
    from sandbox.clio.state import NewWorkItem
    from store.models import MatterImport, utcnow
    from views.demo import ORGANISATION

    clock = time.perf_counter()
    aderant_url = f"sqlite:///{(data_dir / 'aderant.db').resolve()}"
    settings = replace(Settings.from_env(), database_url=f"sqlite:///{(data_dir / 'pms-sync.db').resolve()}",
                       secret_keys=(data_dir / "secret.key").read_text().strip())
    store = open_store(settings)
    organisation_id = store.organisation_by_name(ORGANISATION)
    env = next((e for e in store.environments(organisation_id) if e.name == "Production"), None) if organisation_id else None
    if organisation_id is None or env is None:
        raise BenchmarkError("the demo has no Production environment: has views.demo changed?")
    state = demo.sandbox.state.sandbox.tenants[TENANT].state
    read = read_matters(aderant_url, list(range(FIRST_MATTER_UNO, FIRST_MATTER_UNO + matters)))
    if len(read) != matters:
        raise BenchmarkError(f"the demo has {len(read):,} generated matters, not {matters:,}")
    rows, work_items, now, fingerprint = [], {}, utcnow(), store.secrets.fingerprint()
    for matter in read:
        mapped = apply_mapping(matter, DEFAULT_MAPPING)
        baseline = baseline_of(mapped, {p.key: f"contact-{p.name_uno}" for p in mapped.parties}, fingerprint)
        item = state.create_work_item(NewWorkItem(
            type_system_name=WORK_TYPE, title=mapped.title, reference=mapped.reference, attributes=dict(mapped.attributes),
        ))
        item.key_dates.update(mapped.key_dates)
        item.participants += [
            Participant(ParticipantRole(p.role, p.role, "party", (p.kind,)), f"contact-{p.name_uno}", p.kind, p.name)
            for p in mapped.parties
        ]
        work_items[mapped.matter_number] = item.id
        rows.append({"organisation_id": organisation_id, "environment_id": env.id, "matter_uno": mapped.matter_uno,
                     "matter_number": mapped.matter_number, "status": "imported", "work_item_id": item.id,
                     "imported_by": "drift benchmark", "started_at": now, "finished_at": now, "baseline": baseline.to_json()})
    with Session(store.engine) as session:
        session.execute(insert(MatterImport), rows)
        session.commit()

    numbers = sorted(work_items)
    renamed = random.Random(SEED).sample(numbers, round(len(numbers) * aderant_share))
    edited = random.Random(SEED + 1).sample(numbers, round(len(numbers) * clio_share))
    engine = create_engine(aderant_url)
    try:
        with engine.begin() as conn:
            for start in range(0, len(renamed), CHUNK):
                conn.execute(update(HBM_MATTER).where(HBM_MATTER.c.MATTER_CODE.in_(renamed[start:start + CHUNK]))
                             .values(MATTER_NAME="Renamed in Aderant"))
    finally:
        engine.dispose()
    for number in edited:
        state.work_items[work_items[number]].attributes["aderant-office"] = "Perth"
    expected: dict[str, set[str]] = {}
    for number in renamed:
        expected.setdefault(number, set()).add("aderant_only title")
    for number in edited:
        expected.setdefault(number, set()).add("clio_only attribute:aderant-office")
    saved_state = demo.sandbox.state.sandbox.state_file
    if saved_state is not None:
        saved_state.save_if_changed()  # now, not in the measured run: the sandbox saves changes every few seconds
    long_matters = sum(1 for m in read if len(m.parties) > PARTIES_PER_DETAIL)
    # Drift reads the store PAGE imports at a time, those with a baseline batched within each page
    # (the demo's 82003, imported before baselines were kept, makes the last batches ragged).
    kept = [row.baseline is not None for row in store.imports.baselines(organisation_id, env.id, limit=10**9)]
    pages = [sum(kept[start:start + PAGE]) for start in range(0, len(kept), PAGE)]
    batches = {size: sum(math.ceil(page / size) for page in pages) for size in (DETAILS_PER_CALL, SEARCH_PER_CALL)}
    return Setup(matters, long_matters, expected, time.perf_counter() - clock, batches), store, env


async def measure(store: Any, env: Any, control: SandboxControl, latency: float, ca_bundle: str) -> Measurement:
    from plugin.drift_reads import drift_for

    measured = await measure_use_case(
        store, env, control, lambda services: drift_for(services, env),
        what="drift", latency=latency, delayed=(AGENT_PATH, CLIO_OPERATE_PATH), ca_bundle=ca_bundle,
    )
    found = {d.matter_number: {f"{x.kind} {x.field}" for x in d.differences} for d in measured.result if d.differences}
    return Measurement(measured.calls, measured.wall, found)


def run(matters: int, latency: float, aderant_share: float, clio_share: float, tls: bool) -> tuple[Setup, Measurement]:
    """One run on a fresh demo: set-up, then the measured drift."""
    os.environ.setdefault("PMS_SYNC_LOG_LEVEL", "WARNING")  # the demo reads its settings from it
    from views.demo import build_demo

    with tempfile.TemporaryDirectory(prefix="pms-sync-drift-") as folder:
        data_dir = Path(folder)
        sockets = bound_socket_pair()  # the service's (P) and the sandbox's (P + 1)
        port = port_of(sockets[0])
        certificate = sandbox_certificate(tls, folder)
        demo = build_demo(host="127.0.0.1", port=port, data_dir=data_dir, generated_matters=max(DEMO_GENERATED_MATTERS, matters),
                          sandbox_certificate=certificate.certificate_file if certificate else None)
        setup, store, env = set_up(demo, data_dir, matters, aderant_share, clio_share)
        store.engine.dispose()  # no connection of this process crosses the fork
        sandbox = ForkedServer(loopback_server(demo.sandbox, sockets[1], certificate))  # after the set-up: seeded state
        sandbox.start()
        control = SandboxControl(demo.info["sandbox_url"], trusted(certificate))
        try:
            control.wait_until_up()
            return setup, asyncio.run(measure(store, env, control, latency, trusted(certificate)))
        finally:
            control.http.close()
            sandbox.stop()
            store.engine.dispose()


def counts(measurement: Measurement) -> Counter[str]:
    return Counter(kind_of(c["path"]) for c in measurement.calls)


def least(setup: Setup) -> dict[str, int]:
    """The fewest calls of each kind: one many-matters call per batch of 50 (more when a batch's
    matters and their first parties do not fit one answer), one parties page per long matter, one
    search per batch of 100, and two reads per work item."""
    return {
        KINDS[0]: setup.batches[DETAILS_PER_CALL], KINDS[1]: setup.long_matters,
        KINDS[2]: setup.batches[SEARCH_PER_CALL], KINDS[3]: 2 * setup.matters, KINDS[4]: 0,
    }


def goals(setup: Setup, runs: list[Measurement], latency: float) -> list[tuple[bool, str]]:
    fewest = least(setup)
    agent = figure([counts(m)[KINDS[0]] + counts(m)[KINDS[1]] for m in runs])
    clio = [counts(m)[KINDS[2]] + counts(m)[KINDS[3]] for m in runs]
    exact = fewest[KINDS[2]] + fewest[KINDS[3]]
    return [
        verdict(Goal("agent calls (no call per matter)", math.ceil(setup.matters / AGENT_CALL_PER_MATTERS), "every run"), agent),
        (all(c == exact for c in clio), f"{'met   ' if all(c == exact for c in clio) else 'MISSED'}  Clio Operate calls: "
         f"{figure(clio).show()}, exactly {exact:,} asked ({fewest[KINDS[2]]:,} searches + {fewest[KINDS[3]]:,} work item reads)"),
        verdict(Goal("wall / L", WALL_GOAL, "median"), figure([m.wall / latency for m in runs]), "{:.1f}"),
    ]


def report(setup: Setup, runs: list[Measurement], latency: float) -> list[str]:
    fewest = least(setup)
    rows = [(kind, figure([counts(m)[kind] for m in runs]).show(), f"{fewest[kind]:,}") for kind in KINDS]
    rows.append(("all", figure([len(m.calls) for m in runs]).show(), f"{sum(fewest.values()):,}"))
    lines = [render(("calls", "count", "fewest"), rows), "",
             f"  sequential depth (sandbox): {figure([sequential_depth(m.calls) for m in runs]).show()} "
             f"(the work item reads alone: {math.ceil(setup.matters / FAN_OUT) * 2}, {math.ceil(setup.matters / FAN_OUT)} rounds "
             f"of {FAN_OUT} matters, two reads one after the other in each)",
             f"  wall ms: {figure([m.wall * 1000 for m in runs]).show()}"]
    if latency:
        lines.append(f"  wall / L: {figure([m.wall / latency for m in runs]).show('{:.1f}')}")
    lines.append(f"  matters with drift: {figure([len(m.found) for m in runs]).show('{:,.0f}')} (expected {len(setup.expected):,})")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--matters", type=int, default=GOAL_SETTINGS["matters"],
                        help="imported matters with a baseline, each with its work item (default 10000)")
    parser.add_argument("--latency", type=float, default=GOAL_SETTINGS["latency"],
                        help="seconds injected into every Aderant agent and Clio Operate call (default 0.1)")
    parser.add_argument("--aderant-share", type=float, default=0.05, help="share of the matters renamed in Aderant (default 0.05)")
    parser.add_argument("--clio-share", type=float, default=0.02, help="share of the work items edited in Clio Operate (default 0.02)")
    parser.add_argument("--runs", type=int, default=MIN_RUNS, help=f"runs, each on a fresh demo (default and least {MIN_RUNS})")
    parser.add_argument("--tls", action="store_true", help=TLS_HELP)
    args = parser.parse_args(argv)
    if args.matters < 1 or args.latency <= 0:
        parser.error("--matters must be at least 1 and --latency above 0")
    if not (0 <= args.aderant_share <= 1 and 0 <= args.clio_share <= 1):
        parser.error("--aderant-share and --clio-share must be between 0 and 1")
    if args.runs < MIN_RUNS:
        parser.error(f"--runs must be at least {MIN_RUNS}: figures are the median and the worst of the runs")

    print("PMS Sync drift benchmark: drift in this process, sandbox served by uvicorn in a forked one, "
          f"loopback {'HTTPS' if args.tls else 'HTTP'}, SQLite")
    print(f"  L = {args.latency * 1000:.0f} ms injected into every Aderant agent and Clio Operate call; "
          f"{args.runs} runs on fresh demos; {os.cpu_count()} CPUs", flush=True)
    try:
        results = [run(args.matters, args.latency, args.aderant_share, args.clio_share, args.tls) for _ in range(args.runs)]
    except BenchmarkError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 2
    setup = results[0][0]
    runs = [measurement for _, measurement in results]
    print(f"  set-up (not measured), per run: {setup.matters:,} imported matters with baselines and work items in step, "
          f"{setup.long_matters:,} of over {PARTIES_PER_DETAIL} parties; {len(setup.expected):,} then changed on one side or both")
    print()
    print("\n".join(report(setup, runs, args.latency)))
    print("  each figure: median / worst (every run's, in order)")
    print()
    failed = False
    if {"matters": args.matters, "latency": args.latency} == GOAL_SETTINGS:
        checks = goals(setup, runs, args.latency)
        print("Goals:")
        for _, line in checks:
            print(f"  {line}")
        failed = not all(met for met, _ in checks)
    else:
        print("Goals: not checked; they are set for 10,000 matters and L = 100 ms.")
    if all(measurement.found == run_setup.expected for run_setup, measurement in results):
        print(f"OK: drift found the {len(setup.expected):,} changed matters, each change as made, in every run.")
    else:
        print("MISMATCH: the drifts found differ from the changes made.")
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
