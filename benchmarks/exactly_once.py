"""Exactly-once benchmark: the settle window against a write that lands late, and the takeover of an import whose service was killed.

Settle window: builds the demo (`views.demo.build_demo`) with the service's settle window set to
S seconds (`PMS_SYNC_IMPORT_SETTLE_SECONDS`) and serves the service and the sandbox with uvicorn on
loopback from a background thread; makes Clio Operate apply the work item's create L seconds
after answering 504 (the sandbox's `late` fault); imports 82001, then retries every `--poll`
seconds until a retry is not refused (409), and counts the matter's work items in Clio Operate once
the late write has had time to land. It prints how long retries were refused, when the first
retry succeeded, the wait the first answer told the user, and the work items.

Takeover: imports 82001 through `pms-sync serve` in a child process, kills it with SIGKILL while
its contact create is in flight, starts it again over the same database and retries until the
import is no longer refused as in progress (`benchmarks.service_processes.kill_mid_import`). It prints the time
from the kill to the takeover, and the work items.

Each part runs `--runs` times (at least 3), each on a fresh demo or database; every figure is the
median and the worst of the runs, with each run's figure. Goals, checked in the exit status, in
every run: exactly one work item for the matter; the takeover within CLAIM_LEASE + 2 s. Exit
status 1 when a goal is missed, 2 when the benchmark could not run as intended.

    python benchmarks/exactly_once.py [--settle 8] [--late 4] [--poll 0.25] [--runs 3] [--no-takeover]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if sys.path and Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(ROOT)  # measure this checkout, with no more import paths than `pms-sync` has
elif str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx2

from benchmarks.import_depth import MIN_RUNS, ThreadServers, user_token
from benchmarks.measure import BenchmarkError, Goal, figure, render, report, verdict
from benchmarks.service_processes import MATTER, kill_mid_import
from plugin.importer import CLAIM_LEASE
from sandbox.aderant_db import create_aderant_db
from sandbox.clio.tenant import Tenant
from sandbox.ports import bound_socket_pair, port_of
from store.db import upgrade

WORK_ITEM = "/production/api/v1/public/workItem"
SETTLE, LATE, POLL = 8.0, 4.0, 0.25
"""Defaults: seconds of the settle window, of the write's lateness, between retries."""
LANDED_MARGIN = 1.0
"""Seconds after the late write is due before its work items are counted."""
TAKEOVER_GOAL = CLAIM_LEASE.total_seconds() + 2
STATED = re.compile(r"try again after (\d\d:\d\d:\d\d) UTC")


@dataclass(frozen=True)
class Settling:
    """One run of the settle window, in seconds from when the first import was sent."""

    stated_wait: float
    """What the first answer told the user to wait, from when it was read."""
    refused: int
    """Retries refused as still settling."""
    refused_until: float
    """When the last refused retry was answered (0 when none was)."""
    succeeded_at: float
    succeeded_as: str
    work_items: int


def work_items(tenant: Tenant, matter: str) -> int:
    """Work items in Clio Operate (not deleted) carrying the Aderant matter id."""
    return sum(
        1 for item in tenant.state.work_items.values()
        if item.attributes.get("aderant-matter-id") == matter and not item.phase.is_removed
    )


def seconds_until(stated: str) -> float:
    """From now to the time of day (UTC) an answer stated."""
    now = datetime.now(UTC)
    told = datetime.combine(now.date(), datetime.strptime(stated, "%H:%M:%S").time(), UTC)
    return (told - now).total_seconds()


def settle_run(settle: float, late: float, poll: float) -> Settling:
    """One run on a fresh demo: import while the work item's create lands late, retry until not refused."""
    os.environ["PMS_SYNC_IMPORT_SETTLE_SECONDS"] = str(settle)  # the demo reads its settings from the environment
    os.environ.setdefault("PMS_SYNC_LOG_LEVEL", "WARNING")
    from views.demo import build_demo

    with tempfile.TemporaryDirectory(prefix="pms-sync-benchmark-") as data_dir:
        sockets = bound_socket_pair()  # the service's (P) and the sandbox's (P + 1)
        port = port_of(sockets[0])
        demo = build_demo(host="127.0.0.1", port=port, data_dir=Path(data_dir), generated_matters=50)
        servers = ThreadServers([(demo.service, sockets[0]), (demo.sandbox, sockets[1])])
        try:
            servers.start()
            controls = demo.sandbox.state.sandbox
            production = next(e for e in demo.info["environments"] if e["name"] == "Production")
            headers = {"Authorization": f"Bearer {user_token(production)}"}
            with httpx2.Client(base_url=demo.info["service_url"], headers=headers, timeout=30) as client:
                controls.faults.add(WORK_ITEM, method="POST", late=late, times=1)
                sent = time.monotonic()
                first = client.post(f"/api/v1/matters/{MATTER}/import", json={})
                stated = STATED.search(first.text)
                if first.status_code != 504 or stated is None:
                    raise BenchmarkError(f"the late create answered {first.status_code} {first.text[:200]!r}, not 504 with a time to try again")
                stated_wait = seconds_until(stated.group(1))
                refused, refused_until = 0, 0.0
                while True:
                    time.sleep(poll)
                    retry = client.post(f"/api/v1/matters/{MATTER}/import", json={})
                    at = time.monotonic() - sent
                    if retry.status_code != 409:
                        break
                    refused, refused_until = refused + 1, at
                    if at > settle + late + 10:
                        raise BenchmarkError(f"retries were still refused {at:.0f} s after the first import")
                if retry.status_code not in (200, 201):
                    raise BenchmarkError(f"the retry answered {retry.status_code} {retry.text[:200]!r}")
                time.sleep(max(0.0, sent + late + LANDED_MARGIN - time.monotonic()))  # the late write has landed
                count = work_items(controls.tenants["production"], MATTER)
            return Settling(stated_wait, refused, refused_until, at, retry.json()["status"], count)
        finally:
            servers.stop()


def takeover_run() -> tuple[float, int]:
    """One kill and takeover on a fresh SQLite database: (seconds from the kill to the takeover, work items)."""
    with tempfile.TemporaryDirectory(prefix="pms-sync-benchmark-") as data_dir:
        database_url = f"sqlite:///{Path(data_dir) / 'pms-sync.db'}"
        aderant_url = f"sqlite:///{Path(data_dir) / 'aderant.db'}"
        upgrade(database_url)
        create_aderant_db(aderant_url, generated_matters=50)
        taken = kill_mid_import(database_url, aderant_url)
        if taken.retry.status_code != 201:
            raise BenchmarkError(f"the retry after the restart answered {taken.retry.status_code} {taken.retry.text[:200]!r}")
        if [h["outcome"] for h in taken.history].count("interrupted") != 1:
            raise BenchmarkError("the killed import's History row was not ended as interrupted")
        return taken.seconds, work_items(taken.tenant, MATTER)


def exactly_one(what: str, counts: list[int]) -> list[tuple[bool, str]]:
    return [
        verdict(Goal(f"{what}: work items of {MATTER}, at most", 1, "every run"), figure(counts)),
        verdict(Goal(f"{what}: work items of {MATTER}, at least", 1, "every run", at_least=True),
                figure(counts, higher_is_better=True)),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--settle", type=float, default=SETTLE, help=f"the settle window S, seconds (default {SETTLE:g})")
    parser.add_argument("--late", type=float, default=LATE,
                        help=f"seconds L after its 504 that Clio Operate applies the work item's create (default {LATE:g})")
    parser.add_argument("--poll", type=float, default=POLL, help=f"seconds between retries (default {POLL:g})")
    parser.add_argument("--runs", type=int, default=MIN_RUNS, help=f"runs of each part (default and least {MIN_RUNS})")
    parser.add_argument("--no-takeover", action="store_true",
                        help=f"measure the settle window only (each takeover run waits out the {CLAIM_LEASE.total_seconds():.0f} s lease)")
    args = parser.parse_args(argv)
    if args.settle <= 0 or args.late < 0 or args.poll <= 0:
        parser.error("--settle and --poll must be positive, --late not negative")
    if args.runs < MIN_RUNS:
        parser.error(f"--runs must be at least {MIN_RUNS}: figures are the median and the worst of the runs")

    print(f"PMS Sync exactly-once benchmark: {args.runs} runs of each part, SQLite, loopback HTTP; {os.cpu_count()} CPUs")
    print()
    print(f"Settle window S = {args.settle:g} s, the work item's create applied L = {args.late:g} s after its 504; "
          f"retries every {args.poll:g} s (the service and the sandbox served from one thread of this process)", flush=True)
    try:
        settling = [settle_run(args.settle, args.late, args.poll) for _ in range(args.runs)]
    except BenchmarkError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 2
    rows = [
        ("wait the first answer stated, s", figure([s.stated_wait for s in settling]).show("{:.1f}")),
        ("retries refused", figure([s.refused for s in settling]).show()),
        ("retries refused until, s", figure([s.refused_until for s in settling]).show("{:.2f}")),
        ("first retry succeeded at, s", figure([s.succeeded_at for s in settling]).show("{:.2f}")),
        ("work items of the matter", figure([s.work_items for s in settling]).show()),
    ]
    print(render(("from the first import sent", "median / worst (runs)"), rows))
    print(f"  the succeeding retries answered: {', '.join(s.succeeded_as for s in settling)}")
    checks = exactly_one("settle window", [s.work_items for s in settling])

    if not args.no_takeover:
        print()
        print(f"Takeover: `pms-sync serve` killed (SIGKILL) while a contact create of {MATTER} is in flight, started again; "
              f"CLAIM_LEASE {CLAIM_LEASE.total_seconds():.0f} s", flush=True)
        try:
            takeovers = [takeover_run() for _ in range(args.runs)]
        except (BenchmarkError, RuntimeError) as exc:
            print(f"benchmark failed: {exc}", file=sys.stderr)
            return 2
        taken = figure([seconds for seconds, _ in takeovers])
        print(render(("after the kill", "median / worst (runs)"), [
            ("taken over after, s", taken.show("{:.1f}")),
            ("work items of the matter", figure([count for _, count in takeovers]).show()),
        ]))
        checks.append(verdict(Goal("takeover after the kill, s", TAKEOVER_GOAL, "every run"), taken, "{:.1f}"))
        checks += exactly_one("takeover", [count for _, count in takeovers])

    print()
    return report(checks)


if __name__ == "__main__":
    sys.exit(main())
