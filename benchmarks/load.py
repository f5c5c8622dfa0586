"""Load benchmark: staff searching and previewing at once, each remote call taking a latency L.

Builds the demo (the PMS Sync service and the sandbox, as `pms-sync demo` does) in a temporary
folder and serves each from its own process, both forked from this one: the service with uvicorn
as `pms-sync serve` configures it, the sandbox with uvicorn over HTTPS with a self-signed
certificate made for the run, which the service trusts (`--no-tls`: plain HTTP). A `delay` fault of
L on every Clio Operate (`/production/*`) and Aderant agent (`/aderant/*`) call; the service
reaches them through its own connection pool, as in production.

Each of `--users` staff signs in as in the portal: the portal's sign-in form gives
`staff@sandbox.test` its signed user token (the `_api` cookie), which the widget's page exchanges
at `POST /embed/session` for a session. Each then, with no pause, searches (`GET /?q=<number>`)
and opens the preview (`GET /matters/<number>/preview`) of one matter after another, all with the
same number of parties (the users start at different matters), for `--duration` seconds, after one
unmeasured search and preview each. A request that does not answer 200 is an error.

Printed per scenario, each figure as the median and the worst of `--runs` runs (at least 3), each
run on a fresh demo: previews and requests per second, latency percentiles of previews and of
searches, errors, the service process's CPU time per request (from /proc/<pid>/stat) and its
peak resident memory (VmHWM in /proc/<pid>/status), and the sandbox's CPU.

Goals, checked when a scenario runs at its own users and latency (exit 1 when missed, 2 when the
benchmark could not run): 4-party previews, 50 users, L = 50 ms: at least 40 previews a second
and a p95 of at most 2 s (the median run), no error (every run); 50-party previews, 20 users,
L = 50 ms: a p95 of at most 5 s, no error. No error is checked at any setting.

    python benchmarks/load.py [--scenario 4 --scenario 50] [--users N] [--latency 0.05]
                              [--duration 20] [--runs 3] [--no-tls]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[1]
if sys.path and Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(ROOT)  # measure this checkout, with no more import paths than `pms-sync` has
elif str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx2
from sqlalchemy import create_engine, func, select

from benchmarks.import_depth import (
    AGENT_PATH,
    CLIO_OPERATE_PATH,
    MIN_RUNS,
    ForkedServer,
    SandboxControl,
    loopback_server,
    sandbox_certificate,
    trusted,
)
from benchmarks.measure import BenchmarkError, Figure, Goal, figure, render, report, verdict
from clients.http import verification
from sandbox.ports import SocketServer, bound_socket_pair, port_of

STAFF = "staff@sandbox.test"
PORTAL_TOKEN_COOKIE = "_api"  # sandbox.portal.TOKEN_COOKIE
SESSION_COOKIE = "pms_sync_session"  # embed_auth.sessions.COOKIE
MATTERS_PER_SCENARIO = 50
"""Different matters the users preview, when the sandbox has that many with the scenario's parties."""
DEFAULT_LATENCY = 0.05
DEFAULT_DURATION = 20.0
REQUEST_TIMEOUT = 60.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Scenario:
    parties: int
    users: int
    rate_goal: float | None
    """Least previews a second, the median run."""
    p95_goal: float
    """Seconds a preview's 95th percentile must stay under, the median run."""


SCENARIOS = {4: Scenario(4, 50, rate_goal=40.0, p95_goal=2.0), 50: Scenario(50, 20, rate_goal=None, p95_goal=5.0)}
GOAL_LATENCY = 0.05


@dataclass(frozen=True)
class Sample:
    kind: str  # "search" or "preview"
    seconds: float
    error: str | None


@dataclass
class RunResult:
    samples: list[Sample]
    elapsed: float
    """From the first measured request to the last answer."""
    service_cpu: float
    sandbox_cpu: float
    staff_cpu: float
    """This process's, sending the requests and reading the answers."""
    load_average: float
    """The machine's, at the end: other work shares its CPUs."""
    service_peak_rss: int
    """Bytes."""

    def of(self, kind: str) -> list[Sample]:
        return [s for s in self.samples if s.kind == kind]

    @property
    def errors(self) -> Counter[str]:
        return Counter(f"{s.kind}: {s.error}" for s in self.samples if s.error)

    def rate(self, kind: str | None = None) -> float:
        return len(self.of(kind) if kind else self.samples) / self.elapsed

    def percentile(self, kind: str, p: int) -> float:
        times = sorted(s.seconds for s in self.of(kind))
        if not times:
            return float("nan")
        return statistics.quantiles(times, n=100, method="inclusive")[p - 1] if len(times) > 1 else times[0]


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime: fields 14 and 15 of stat(5)


def peak_rss(pid: int) -> int:
    """The most resident memory the process has had, in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise BenchmarkError(f"/proc/{pid}/status has no VmHWM")


def matters_with_parties(aderant_database_url: str, parties: int) -> list[str]:
    """Numbers of open sandbox matters with exactly `parties` parties, at most MATTERS_PER_SCENARIO."""
    from sandbox.aderant_db import HBM_MATTER, MATTER_PARTY

    engine = create_engine(aderant_database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(HBM_MATTER.c.MATTER_CODE)
                .join(MATTER_PARTY, MATTER_PARTY.c.MATTER_UNO == HBM_MATTER.c.MATTER_UNO)
                .where(HBM_MATTER.c.CLOSE_DATE.is_(None))
                .group_by(HBM_MATTER.c.MATTER_UNO, HBM_MATTER.c.MATTER_CODE)
                .having(func.count() == parties)
                .order_by(HBM_MATTER.c.MATTER_UNO)
                .limit(MATTERS_PER_SCENARIO)
            ).all()
    finally:
        engine.dispose()
    if not rows:
        raise BenchmarkError(f"the sandbox has no open matter with {parties} parties")
    return [str(code).strip() for (code,) in rows]


class Staff:
    """One member of staff in the widget: a session of their own, and a connection of their own."""

    def __init__(self, service_url: str, session: str, environment_id: int) -> None:
        self.environment_id = environment_id
        # The session cookie is Secure; the service is on http://localhost, so it is sent by hand.
        self.http = httpx2.AsyncClient(
            base_url=service_url, headers={"Cookie": f"{SESSION_COOKIE}={session}"}, timeout=REQUEST_TIMEOUT
        )

    async def timed(self, kind: str, path: str, params: dict[str, str | int]) -> Sample:
        clock = time.perf_counter()
        try:
            response = await self.http.get(path, params={"environment": self.environment_id, **params})
            error = None if response.status_code == 200 else f"HTTP {response.status_code}"
        except httpx2.HTTPError as exc:
            error = type(exc).__name__
        return Sample(kind, time.perf_counter() - clock, error)

    async def search_and_preview(self, matter_number: str) -> list[Sample]:
        return [
            await self.timed("search", "/", {"q": matter_number}),
            await self.timed("preview", f"/matters/{matter_number}/preview", {}),
        ]

    async def work(self, matters: list[str], first: int, until: float) -> list[Sample]:
        """Search and preview one matter after another until `until` (perf_counter)."""
        samples: list[Sample] = []
        index = first
        while time.perf_counter() < until:
            samples += await self.search_and_preview(matters[index % len(matters)])
            index += 1
        return samples


async def sign_in(portal_url: str, service_url: str, ca_bundle: str) -> tuple[str, int]:
    """(session, environment id) of `STAFF`, signed in at the portal, the token exchanged as the widget does."""
    portal = urlsplit(portal_url)
    async with httpx2.AsyncClient(verify=verification(ca_bundle), timeout=REQUEST_TIMEOUT) as sandbox:
        response = await sandbox.post(f"{portal_url.rstrip('/')}/login", data={"username": STAFF})
        token = response.cookies.get(PORTAL_TOKEN_COOKIE)
        if response.status_code != 303 or not token:
            raise BenchmarkError(f"the portal's sign-in answered {response.status_code} with no {PORTAL_TOKEN_COOKIE} cookie")
    async with httpx2.AsyncClient(base_url=service_url, timeout=REQUEST_TIMEOUT) as service:
        response = await service.post(
            "/embed/session", json={"token": token, "portal_origin": f"{portal.scheme}://{portal.netloc}"},
            headers={"Origin": service_url},
        )
        session = response.cookies.get(SESSION_COOKIE)
        if response.status_code != 200 or not session:
            raise BenchmarkError(f"exchanging the portal token for a session answered {response.status_code}: "
                                 f"{response.text[:200]}")
        environment = parse_qs(urlsplit(response.json()["redirect"]).query)["environment"][0]
    return session, int(environment)


async def drive(
    info: dict, ca_bundle: str, users: int, matters: list[str], duration: float, service_pid: int, sandbox_pid: int
) -> RunResult:
    production = next(e for e in info["environments"] if e["name"] == "Production")
    signed_in = await asyncio.gather(*(
        sign_in(production["portal_url"], info["service_url"], ca_bundle) for _ in range(users)
    ))
    staff = [Staff(info["service_url"], session, environment) for session, environment in signed_in]
    try:
        warm_up = await asyncio.gather(*(s.search_and_preview(matters[i % len(matters)]) for i, s in enumerate(staff)))
        failed = Counter(f"{s.kind}: {s.error}" for samples in warm_up for s in samples if s.error)
        if failed:
            raise BenchmarkError(f"the unmeasured first search and preview failed: {dict(failed)}")
        service_cpu, sandbox_cpu, staff_cpu = cpu_seconds(service_pid), cpu_seconds(sandbox_pid), cpu_seconds(os.getpid())
        started = time.perf_counter()
        per_user = await asyncio.gather(*(
            s.work(matters, i * len(matters) // users, started + duration) for i, s in enumerate(staff)
        ))
        elapsed = time.perf_counter() - started
        return RunResult(
            samples=[sample for samples in per_user for sample in samples],
            elapsed=elapsed,
            service_cpu=cpu_seconds(service_pid) - service_cpu,
            sandbox_cpu=cpu_seconds(sandbox_pid) - sandbox_cpu,
            staff_cpu=cpu_seconds(os.getpid()) - staff_cpu,
            load_average=os.getloadavg()[0],
            service_peak_rss=peak_rss(service_pid),
        )
    finally:
        await asyncio.gather(*(s.http.aclose() for s in staff))


def wait_until_ready(service_url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx2.get(f"{service_url}/readyz").status_code == 200:
                return
        except httpx2.TransportError:
            pass
        time.sleep(0.05)
    raise BenchmarkError(f"the service was not ready in {timeout:.0f} s")


def run(scenario: Scenario, users: int, latency: float, duration: float, tls: bool) -> RunResult:
    """One run on a fresh demo."""
    os.environ.setdefault("PMS_SYNC_LOG_LEVEL", "WARNING")  # the demo reads its settings from it
    from views.demo import build_demo
    from views.server import server_config

    with tempfile.TemporaryDirectory(prefix="pms-sync-load-") as folder:
        sockets = bound_socket_pair()  # the service's (P) and the sandbox's (P + 1)
        port = port_of(sockets[0])
        certificate = sandbox_certificate(tls, folder)
        demo = build_demo(host="127.0.0.1", port=port, data_dir=Path(folder),
                          sandbox_certificate=certificate.certificate_file if certificate else None)
        matters = matters_with_parties(f"sqlite:///{Path(folder, 'aderant.db').resolve()}", scenario.parties)
        # Both forked before this process starts any thread; the service as `pms-sync serve` runs it.
        sandbox = ForkedServer(loopback_server(demo.sandbox, sockets[1], certificate))
        service = ForkedServer(SocketServer(server_config(
            demo.service, host="127.0.0.1", port=port, log_level="warning", access_log=False,
        ), sockets[0]), name="benchmark-service")
        sandbox.start()
        service.start()
        control = SandboxControl(demo.info["sandbox_url"], trusted(certificate))
        try:
            control.wait_until_up()
            wait_until_ready(demo.info["service_url"])
            if latency:
                control.delay(CLIO_OPERATE_PATH, latency)
                control.delay(AGENT_PATH, latency)
            return asyncio.run(drive(demo.info, trusted(certificate), users, matters, duration, service.pid, sandbox.pid))
        finally:
            control.http.close()
            service.stop()
            sandbox.stop()


@dataclass
class Row:
    scenario: Scenario
    users: int
    runs: list[RunResult]

    def figure(self, value: Callable[[RunResult], float], *, higher_is_better: bool = False) -> Figure:
        return figure([value(r) for r in self.runs], higher_is_better=higher_is_better)

    @property
    def preview_rate(self) -> Figure:
        return self.figure(lambda r: r.rate("preview"), higher_is_better=True)

    def p(self, kind: str, percentile: int) -> Figure:
        return self.figure(lambda r: r.percentile(kind, percentile) * 1000)

    @property
    def errors(self) -> Figure:
        return self.figure(lambda r: sum(r.errors.values()))


def _count_of(kind: str, run: RunResult) -> float:
    return len(run.of(kind))


def table(row: Row) -> str:
    per_request = row.figure(lambda r: r.service_cpu / len(r.samples) * 1000 if r.samples else float("nan"))
    cells = [
        ("previews / s (higher is better)", row.preview_rate.show("{:.1f}")),
        ("requests / s (higher is better)", row.figure(lambda r: r.rate(), higher_is_better=True).show("{:.1f}")),
        *((f"{kind}es" if kind == "search" else f"{kind}s", row.figure(partial(_count_of, kind), higher_is_better=True).show())
          for kind in ("preview", "search")),
        *((f"preview p{p} ms", row.p("preview", p).show()) for p in (50, 95, 99)),
        *((f"search p{p} ms", row.p("search", p).show()) for p in (50, 95, 99)),
        ("errors", row.errors.show()),
        ("service CPU ms per request", per_request.show("{:.1f}")),
        ("service CPU, % of one core", row.figure(lambda r: r.service_cpu / r.elapsed * 100).show()),
        ("service peak RSS MiB", row.figure(lambda r: r.service_peak_rss / 2**20).show()),
        ("sandbox CPU, % of one core", row.figure(lambda r: r.sandbox_cpu / r.elapsed * 100).show()),
        ("staff (this process) CPU, % of one core", row.figure(lambda r: r.staff_cpu / r.elapsed * 100).show()),
        ("machine load average, 1 min", row.figure(lambda r: r.load_average).show("{:.1f}")),
        ("measured seconds", row.figure(lambda r: r.elapsed).show("{:.1f}")),
    ]
    return render(("figure", "median / worst (each run)"), cells)


def goals(row: Row, latency: float) -> list[tuple[bool, str]]:
    scenario = row.scenario
    name = f"{scenario.parties}-party previews, {row.users} users, L = {latency * 1000:.0f} ms"
    checks = [verdict(Goal(f"{name}, errors", 0, "every run"), row.errors)]
    if row.users != scenario.users or latency != GOAL_LATENCY:
        return checks
    checks.append(verdict(Goal(f"{name}, preview p95 ms", scenario.p95_goal * 1000, "median"), row.p("preview", 95)))
    if scenario.rate_goal is not None:
        checks.append(verdict(Goal(f"{name}, previews / s", scenario.rate_goal, "median", at_least=True),
                              row.preview_rate, "{:.1f}"))
    return checks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", type=int, action="append", choices=sorted(SCENARIOS),
                        help="parties of the previewed matters; repeat for several (default: "
                             f"{' and '.join(str(p) for p in SCENARIOS)})")
    parser.add_argument("--users", type=int, default=None,
                        help="staff at once (default: the scenario's, " +
                             ", ".join(f"{s.users} for {p} parties" for p, s in SCENARIOS.items()) + ")")
    parser.add_argument("--latency", type=float, default=DEFAULT_LATENCY,
                        help=f"seconds injected into every Clio Operate and Aderant agent call (default {DEFAULT_LATENCY})")
    parser.add_argument("--duration", type=float, default=DEFAULT_DURATION,
                        help=f"seconds the staff search and preview in each run (default {DEFAULT_DURATION:.0f})")
    parser.add_argument("--runs", type=int, default=MIN_RUNS,
                        help=f"runs per scenario, each on a fresh demo (default and least {MIN_RUNS})")
    parser.add_argument("--tls", action=argparse.BooleanOptionalAction, default=True,
                        help="serve the sandbox over HTTPS with a self-signed certificate made for the run, which "
                             "the service trusts, so new connections pay for a TLS handshake (default: on)")
    args = parser.parse_args(argv)
    if args.users is not None and args.users < 1:
        parser.error("--users must be at least 1")
    if args.latency < 0 or args.duration <= 0:
        parser.error("--latency must not be negative and --duration must be positive")
    if args.runs < MIN_RUNS:
        parser.error(f"--runs must be at least {MIN_RUNS}: figures are the median and the worst of the runs")

    print("PMS Sync load benchmark: service and sandbox each served by uvicorn in a process of its own, "
          f"loopback ({'HTTPS' if args.tls else 'HTTP'} to the sandbox), SQLite; the staff in this process")
    print(f"  L = {args.latency * 1000:.0f} ms on every Clio Operate and Aderant agent call; {args.duration:.0f} s "
          f"of searching and previewing per run, no pause; {args.runs} runs on fresh demos; {os.cpu_count()} CPUs",
          flush=True)
    checks: list[tuple[bool, str]] = []
    for parties in args.scenario or list(SCENARIOS):
        scenario = SCENARIOS[parties]
        users = args.users or scenario.users
        print()
        print(f"{parties}-party previews, {users} staff at once:", flush=True)
        try:
            row = Row(scenario, users, [run(scenario, users, args.latency, args.duration, args.tls)
                                        for _ in range(args.runs)])
        except BenchmarkError as exc:
            print(f"benchmark failed: {exc}", file=sys.stderr)
            return 2
        print(table(row))
        for result in row.runs:
            for error, count in result.errors.most_common(5):
                print(f"  error in a run: {count} × {error}")
        checks += goals(row, args.latency)

    print()
    return report(checks)


if __name__ == "__main__":
    sys.exit(main())
