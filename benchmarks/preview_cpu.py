"""Preview CPU benchmark: the service's CPU time per preview of a 4-party and a 50-party matter.

Builds the demo (the PMS Sync service and the sandbox, in a temporary data folder, as
`pms-sync demo` does) and runs both in this process, L = 0 (no injected latency): the service on
the main thread's event loop, called through its ASGI app; the sandbox on an event loop of its own
thread, the service's remote calls handed to it as ASGI calls (no socket, no connection pool: the
HTTP stack is measured by other benchmarks). After an unmeasured warm-up (signing keys, the
service's Clio Operate token and its settings cache), it previews Aderant matters 82001 (4 parties
and the client) and 82007 (50 parties and the client) through `GET /api/v1/matters/{n}/preview`
`--previews` times each, and takes around each the CPU time of the process (`time.process_time`)
and of the sandbox's threads (its event loop's and the worker threads it reads the Aderant
database on): the service's CPU is the difference, which counts the threads the service's store
reads run on. A run's figure is its median preview; it does `--runs` runs (at least 3), each on a
fresh demo, and prints the median and the worst run, with each run's figure, and the process's CPU
(service and sandbox) beside it.

Goals, checked in the exit status (the median run): at most 8 ms of the service's CPU per 4-party
preview and 60 ms per 50-party preview. Exit status 1 when a goal is missed, 2 when the benchmark
could not run as intended.

    python benchmarks/preview_cpu.py [--runs 3] [--previews 10] [--profile FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if sys.path and Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(ROOT)  # measure this checkout, with no more import paths than `pms-sync` has
elif str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx2

from benchmarks.import_depth import USER
from benchmarks.measure import BenchmarkError, Figure, Goal, figure, render, report, verdict

MEASURED = (("82001", 4), ("82007", 50))
"""(matter number, Aderant parties besides the client): litigation matters of client CL080001."""
GOALS_MS = {4: 8.0, 50: 60.0}
"""Most milliseconds of the service's CPU per preview, by parties, for the median run."""
MIN_RUNS = 3
WARM_UP = 2
"""Unmeasured previews of each matter before the measured ones."""
SANDBOX_THREAD = "benchmark-sandbox"
UNSERVED_PORT = 8000  # only in the demo's URLs
SANDBOX_WORKERS = "AnyIO worker thread"
"""The threads the sandbox's agent reads its database on (Starlette's `run_in_threadpool`); the
service runs its store reads on asyncio's (`asyncio.to_thread`)."""


class SandboxThread(httpx2.AsyncBaseTransport):
    """The sandbox on its own thread and event loop, answering the service's remote calls as ASGI
    calls, so the CPU it spends can be told apart from the service's."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=SANDBOX_THREAD, daemon=True)
        self._app: httpx2.ASGITransport | None = None

    def serve(self, app: Any) -> None:
        self._app = httpx2.ASGITransport(app=app)
        self._thread.start()

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=15)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self._answer(request), self._loop))

    async def _answer(self, request: httpx2.Request) -> httpx2.Response:
        assert self._app is not None
        response = await self._app.handle_async_request(request)
        return httpx2.Response(response.status_code, headers=response.headers, content=await response.aread())

    @staticmethod
    def cpu() -> float:
        """CPU seconds of the sandbox's threads so far."""
        idents = [t.ident for t in threading.enumerate()
                  if t.ident is not None and (t.name == SANDBOX_THREAD or t.name.startswith(SANDBOX_WORKERS))]
        return sum((time.clock_gettime(time.pthread_getcpuclockid(ident)) for ident in idents), 0.0)


@dataclass(frozen=True)
class Spent:
    """CPU seconds of one preview."""

    service: float
    process: float  # the service's and the sandbox's


async def _preview(client: httpx2.AsyncClient, sandbox: SandboxThread, matter_number: str, parties: int) -> Spent:
    process, in_sandbox = time.process_time(), sandbox.cpu()
    response = await client.get(f"/api/v1/matters/{matter_number}/preview")
    process, in_sandbox = time.process_time() - process, sandbox.cpu() - in_sandbox
    if response.status_code != 200:
        raise BenchmarkError(f"previewing {matter_number} answered {response.status_code}: {response.text[:300]}")
    shown = len(response.json()["parties"])
    if shown != parties + 1:
        raise BenchmarkError(f"the preview of {matter_number} shows {shown} parties, not {parties} and the client: "
                             "has the sandbox seed changed?")
    return Spent(process - in_sandbox, process)


async def _measure(app: Any, service_url: str, token: str, sandbox: SandboxThread, previews: int,
                   profile: cProfile.Profile | None) -> dict[str, list[Spent]]:
    headers = {"Authorization": f"Bearer {token}"}
    async with app.router.lifespan_context(app):
        async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url=service_url, headers=headers,
                                     timeout=60) as client:
            for number, parties in MEASURED * WARM_UP:
                await _preview(client, sandbox, number, parties)
            spent: dict[str, list[Spent]] = {number: [] for number, _ in MEASURED}
            if profile is not None:
                profile.enable()
            for _ in range(previews):
                for number, parties in MEASURED:
                    spent[number].append(await _preview(client, sandbox, number, parties))
            if profile is not None:
                profile.disable()
            return spent


def run(previews: int, profile: cProfile.Profile | None = None) -> dict[str, Spent]:
    """One run on a fresh demo: each matter's median CPU seconds per preview."""
    os.environ.setdefault("PMS_SYNC_LOG_LEVEL", "WARNING")
    from views.demo import build_demo  # imported once the environment is set: the demo reads its settings from it

    with tempfile.TemporaryDirectory(prefix="pms-sync-benchmark-") as data_dir:
        sandbox = SandboxThread()
        # No server listens: every call of the service reaches the sandbox through the in-process transport.
        demo = build_demo(host="127.0.0.1", port=UNSERVED_PORT, data_dir=Path(data_dir), transport=sandbox)
        sandbox.serve(demo.sandbox)
        try:
            token = demo.sandbox.state.sandbox.tenants["production"].mint_user_token(USER)
            spent = asyncio.run(_measure(demo.service, demo.info["service_url"], token, sandbox, previews, profile))
        finally:
            sandbox.stop()
    return {
        number: Spent(statistics.median(s.service for s in values), statistics.median(s.process for s in values))
        for number, values in spent.items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=MIN_RUNS,
                        help=f"runs, each on a fresh demo (default and least {MIN_RUNS})")
    parser.add_argument("--previews", type=int, default=10, help="measured previews of each matter per run (default 10)")
    parser.add_argument("--profile", type=Path, help="also write a cProfile of the last run's measured previews "
                                                     "(CPU of the service's event loop thread only) to this file")
    args = parser.parse_args(argv)
    if args.runs < MIN_RUNS:
        parser.error(f"--runs must be at least {MIN_RUNS}: figures are the median and the worst of the runs")
    if args.previews < 1:
        parser.error("--previews must be at least 1")

    print("PMS Sync preview CPU benchmark: service and sandbox in this process (the sandbox on its own thread), "
          "no sockets, L = 0, SQLite")
    print(f"  {args.runs} runs on fresh demos, each {WARM_UP} unmeasured previews then {args.previews} measured ones "
          f"of each matter; a run's figure is its median preview; {os.cpu_count()} CPUs", flush=True)
    profile = cProfile.Profile(time.thread_time) if args.profile else None
    try:
        runs = [run(args.previews, profile if index == args.runs - 1 else None) for index in range(args.runs)]
    except BenchmarkError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 2
    if profile is not None:
        profile.dump_stats(str(args.profile))

    service: dict[int, Figure] = {parties: figure([r[n].service * 1000 for r in runs]) for n, parties in MEASURED}
    process: dict[int, Figure] = {parties: figure([r[n].process * 1000 for r in runs]) for n, parties in MEASURED}
    print(render(
        ("parties", "matter", "service CPU ms per preview", "process CPU ms (service and sandbox)"),
        [(str(p), n, service[p].show("{:.1f}"), process[p].show("{:.1f}")) for n, p in MEASURED],
    ))
    print("  each figure: median / worst (every run's, in order)")
    print()
    checks = [
        verdict(Goal(f"{parties} parties, service CPU ms per preview", GOALS_MS[parties], "median"), service[parties], "{:.1f}")
        for _, parties in MEASURED
    ]
    return report(checks)


if __name__ == "__main__":
    sys.exit(main())
