"""Import benchmark: remote calls, sequential round trips and wall time of importing 1, 10 and 50 parties.

Builds the demo (the PMS Sync service and the sandbox, in a temporary data folder, as
`pms-sync demo` does) and serves both with uvicorn on free loopback ports: the service from a
background thread of this process, the sandbox from a child process forked from it; injects a
latency L into every Clio Operate call (and, unless told otherwise, every Aderant agent call);
imports Aderant matters 82005 (1 party), 82006 (10 parties) and 82007 (50 parties) through the
JSON API with an impersonation token and default decisions; and prints for each the remote calls,
the longest chain of calls that had to wait for one another (`sandbox.calls.sequential_depth`),
seen from the sandbox (its call log) and from the service (its HTTP transport, timed by this
benchmark), and the wall time. It does that `--runs` times (at least 3), each on a fresh demo, for
each latency of the sweep (20 ms and 100 ms unless `--latency` says otherwise), and prints every
figure as the median and the worst of the runs, with each run's figure.

Goals, checked in the exit status: a sequential depth of at most 4 for every size, in every run,
seen from both sides; for 50 parties at L = 100 ms (on both systems), a median wall time of at most
5 L. Exit status 1 when a goal is missed, 2 when the benchmark could not run as intended.

    python benchmarks/import_depth.py [--latency 0.02 --latency 0.1] [--agent-latency 0] [--runs 3] [-v] [--tls]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import socket
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if sys.path and Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(ROOT)  # measure this checkout, with no more import paths than `pms-sync` has
elif str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx2
import uvicorn

from benchmarks.measure import BenchmarkError, Figure, Goal, RecordingTransport, figure, render, report, verdict
from clients.http import verification
from sandbox.calls import System, count_by_system, sequential_depth
from sandbox.ports import SocketServer, bound_socket_pair, port_of
from sandbox.tls import Certificate, self_signed_certificate

WARM_UP_MATTER = "82001"
"""Imported first and not measured: JWKS, the service's Clio Operate token."""
THINK_SECONDS = 1.0
"""Between a matter's preview and its import, as staff read the preview (the default of `--think`)."""
SERVER_KEEPALIVE_SECONDS = 120
"""How long the sandbox keeps an idle connection open, as a server in front of Clio Operate does
(clients.http.KEEPALIVE_SECONDS); uvicorn's default of 5 s is shorter than staff take to read a preview."""
MEASURED = (("82005", 1), ("82006", 10), ("82007", 50))
"""(matter number, Aderant parties): litigation matters of client CL080001 in the sandbox seed."""
USER = "staff@sandbox.test"
CLIO_OPERATE_PATH = "/production/*"  # identity and API of the tenant the service imports into
AGENT_PATH = "/aderant/*"
SWEEP = (0.02, 0.1)
"""Latencies measured by default, in seconds: the goals are set at both."""
MIN_RUNS = 3
DEPTH_GOAL = 4
"""The design's round trips: the agent; the work item check and the contact searches at once;
the contacts to create at once; the work item."""
WALL_GOAL = (50, 0.1, 5.0)
"""(parties, latency, most wall time in units of the latency) for the median run."""


TLS_HELP = ("serve the sandbox over HTTPS with a self-signed certificate made for the run, which the service "
            "trusts: every new connection then pays for a TLS handshake, as against the real systems")


@dataclass
class Measurement:
    matter_number: str
    parties: int
    calls: list[dict[str, Any]]
    """As the sandbox logged them."""
    service_calls: list[dict[str, Any]]
    """As the service's HTTP transport sent them and read their answers."""
    wall: float
    created: int
    linked: int

    @property
    def by_system(self) -> Counter[System]:
        return count_by_system(self.calls)

    @property
    def depth(self) -> int:
        return sequential_depth(self.calls)

    @property
    def service_depth(self) -> int:
        return sequential_depth(self.service_calls)


def loopback_server(app: Any, sock: socket.socket, certificate: Certificate | None = None) -> uvicorn.Server:
    """uvicorn serving ``app`` on the bound loopback socket (see sandbox.ports)."""
    return SocketServer(uvicorn.Config(
        app, log_level="warning", access_log=False, timeout_keep_alive=SERVER_KEEPALIVE_SECONDS,
        ssl_certfile=certificate.certificate_file if certificate else None,
        ssl_keyfile=certificate.key_file if certificate else None,
    ), sock)


def sandbox_certificate(tls: bool, data_dir: str) -> Certificate | None:
    """With `tls`, a new self-signed certificate in `data_dir` to serve the sandbox with (`--tls`)."""
    return self_signed_certificate(Path(data_dir) / "tls") if tls else None


def trusted(certificate: Certificate | None) -> str:
    """The CA bundle that trusts the sandbox: its own certificate, or "" for the default one."""
    return str(certificate.certificate_file) if certificate else ""


class ThreadServers:
    """Servers run by uvicorn from one event loop in a background thread."""

    def __init__(self, apps: list[tuple[Any, socket.socket]]) -> None:
        self.servers = [loopback_server(app, sock) for app, sock in apps]
        self.thread = threading.Thread(target=self._run, name="benchmark-servers", daemon=True)
        self.error: BaseException | None = None

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except (Exception, SystemExit) as exc:  # uvicorn exits when it cannot listen; start() reports it
            self.error = exc

    async def _serve(self) -> None:
        await asyncio.gather(*(server.serve() for server in self.servers))

    def start(self, timeout: float = 30) -> None:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not all(server.started for server in self.servers):
            if self.error is not None or not self.thread.is_alive():
                raise BenchmarkError(f"the servers did not start: {self.error!r}")
            if time.monotonic() > deadline:
                raise BenchmarkError(f"the servers did not start in {timeout:.0f} s")
            time.sleep(0.02)

    def stop(self) -> None:
        for server in self.servers:
            server.should_exit = True
        self.thread.join(timeout=15)


class ForkedServer:
    """A server run by uvicorn in a child process forked from this one, so it has its own CPU and
    interpreter: the sandbox's work of answering then never delays the service's (and the other
    way round). Forked, not spawned, so the child serves the very app built here, state and all;
    forked before this process starts any thread."""

    def __init__(self, server: uvicorn.Server, name: str = "benchmark-sandbox") -> None:
        context = multiprocessing.get_context("fork")
        self.process = context.Process(target=server.run, name=name, daemon=True)

    def start(self) -> None:
        self.process.start()

    @property
    def pid(self) -> int:
        assert self.process.pid is not None, "not started"
        return self.process.pid

    def stop(self) -> None:
        self.process.terminate()
        self.process.join(timeout=15)


class SandboxControl:
    """The sandbox's `/_sandbox` control API (not itself logged as a remote call)."""

    def __init__(self, sandbox_url: str, ca_bundle: str = "") -> None:
        self.http = httpx2.Client(base_url=f"{sandbox_url}/_sandbox", timeout=30, verify=verification(ca_bundle))

    def wait_until_up(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self.http.get("/faults").status_code == 200:
                    return
            except httpx2.TransportError:
                pass
            if time.monotonic() > deadline:
                raise BenchmarkError(f"the sandbox did not answer in {timeout:.0f} s")
            time.sleep(0.05)

    def delay(self, path: str, seconds: float) -> None:
        self.http.post("/faults", json={"path": path, "delay": seconds}).raise_for_status()

    def clear_calls(self) -> None:
        self.http.delete("/calls").raise_for_status()

    def calls(self) -> list[dict[str, Any]]:
        return self.http.get("/calls").json()["calls"]


def user_token(environment: dict, ca_bundle: str = "") -> str:
    response = httpx2.post(
        f"{environment['identity_url']}/connect/token",
        verify=verification(ca_bundle),
        auth=(environment["client_id"], environment["client_secret"]),
        data={"grant_type": "Impersonate.Specified", "scope": "sharedo",
              "impersonate_user": USER, "impersonate_provider": "idsrv"},
    )
    response.raise_for_status()
    return response.json()["access_token"]


def import_matter(client: httpx2.Client, matter_number: str) -> tuple[dict, float, float, float]:
    """POST the import with default decisions; (answer, started, finished, wall seconds)."""
    started = time.time()
    clock = time.perf_counter()
    response = client.post(f"/api/v1/matters/{matter_number}/import", json={"decisions": {}})
    wall = time.perf_counter() - clock
    finished = time.time()
    try:
        body = response.json()
    except ValueError:
        body = {"error": response.text[:300]}
    if response.status_code != 201 or body.get("status") != "imported":
        raise BenchmarkError(
            f"importing {matter_number} answered {response.status_code} {body.get('status') or body.get('error')!r}; "
            "every measured import must be of a matter not yet imported"
        )
    return body, started, finished, wall


def run(latency: float, agent_latency: float, tls: bool, think: float) -> list[Measurement]:
    """One run on a fresh demo: the warm-up import, then per matter its preview and, `think`
    seconds later, its measured import."""
    # Imported once the environment is set: the demo reads its settings from it.
    os.environ.setdefault("PMS_SYNC_LOG_LEVEL", "WARNING")
    from views.demo import build_demo

    with tempfile.TemporaryDirectory(prefix="pms-sync-benchmark-") as data_dir:
        sockets = bound_socket_pair()  # the service's (P) and the sandbox's (P + 1)
        port = port_of(sockets[0])
        certificate = sandbox_certificate(tls, data_dir)
        transport = RecordingTransport(ca_bundle=trusted(certificate))
        demo = build_demo(host="127.0.0.1", port=port, data_dir=Path(data_dir), transport=transport,
                          sandbox_certificate=certificate.certificate_file if certificate else None)
        sandbox = ForkedServer(loopback_server(demo.sandbox, sockets[1], certificate))  # before any thread starts
        sandbox.start()
        servers = ThreadServers([(demo.service, sockets[0])])
        control = SandboxControl(demo.info["sandbox_url"], trusted(certificate))
        try:
            servers.start()
            control.wait_until_up()
            production = next(e for e in demo.info["environments"] if e["name"] == "Production")
            headers = {"Authorization": f"Bearer {user_token(production, trusted(certificate))}"}
            with httpx2.Client(base_url=demo.info["service_url"], headers=headers, timeout=60) as client:
                import_matter(client, WARM_UP_MATTER)
                if latency:
                    control.delay(CLIO_OPERATE_PATH, latency)
                if agent_latency:
                    control.delay(AGENT_PATH, agent_latency)
                return [_measure(client, control, transport, number, parties, think) for number, parties in MEASURED]
        finally:
            control.http.close()
            servers.stop()
            sandbox.stop()


def _measure(
    client: httpx2.Client, control: SandboxControl, transport: RecordingTransport, matter_number: str, parties: int,
    think: float,
) -> Measurement:
    """The matter imported as staff import it: previewed (not measured), read for `think` seconds,
    then imported (measured). The import's calls go over the connections its preview opened."""
    client.get(f"/api/v1/matters/{matter_number}/preview").raise_for_status()
    time.sleep(think)
    control.clear_calls()
    body, started, finished, wall = import_matter(client, matter_number)
    time.sleep(0.05)  # let the sandbox log the last answer it sent
    calls = [c for c in control.calls() if started <= c["started"] <= finished]
    service_calls = transport.calls(started, finished)
    if count_by_system(calls) != count_by_system(service_calls):
        raise BenchmarkError(
            f"importing {matter_number}, the service sent {dict(count_by_system(service_calls))} calls and the sandbox "
            f"logged {dict(count_by_system(calls))}: the two views of the depth would not be of the same calls"
        )
    contacts = body.get("contacts", {})
    created, linked = len(contacts.get("created", [])), len(contacts.get("linked", []))
    if created + linked != parties + 1:
        raise BenchmarkError(
            f"matter {matter_number} imported {created + linked} contacts, not its {parties} parties and its "
            "client: has the sandbox seed changed?"
        )
    return Measurement(matter_number, parties, calls, service_calls, wall, created, linked)


def describe(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms per call" if seconds else "none"


@dataclass
class Row:
    """One matter over every run at one latency."""

    runs: list[Measurement]

    @property
    def parties(self) -> int:
        return self.runs[0].parties

    @property
    def depth(self) -> Figure:
        return figure([m.depth for m in self.runs])

    @property
    def service_depth(self) -> Figure:
        return figure([m.service_depth for m in self.runs])

    @property
    def wall_ms(self) -> Figure:
        return figure([m.wall * 1000 for m in self.runs])

    def wall_in_latencies(self, latency: float) -> Figure:
        return figure([m.wall / latency for m in self.runs])

    def check_same_calls(self) -> None:
        counts = {tuple(sorted(Counter(c["path"] for c in m.calls).items())) for m in self.runs}
        if len(counts) > 1:
            raise BenchmarkError(f"matter {self.runs[0].matter_number} made different calls in different runs")


def table(rows: list[Row], latency: float) -> str:
    header = ("parties", "matter", "agent calls", "Clio Operate calls", "depth, sandbox", "depth, service",
              "wall ms", "wall / L", "contacts created/linked")
    cells = []
    for row in rows:
        first = row.runs[0]
        systems = first.by_system
        cells.append((
            str(row.parties), first.matter_number, str(systems["aderant"]), str(systems["clio-operate"]),
            row.depth.show(), row.service_depth.show(), row.wall_ms.show(),
            row.wall_in_latencies(latency).show("{:.1f}") if latency else "-", f"{first.created}/{first.linked}",
        ))
    return render(header, cells)


def goals(rows: list[Row], latency: float, agent_latency: float) -> list[tuple[bool, str]]:
    """Each goal set at this latency: (met, the line that says so)."""
    checks = []
    if latency in SWEEP:
        for row in rows:
            for side, value in (("sandbox", row.depth), ("service", row.service_depth)):
                what = f"L = {latency * 1000:.0f} ms, {row.parties} parties, depth seen from the {side}"
                checks.append(verdict(Goal(what, DEPTH_GOAL, "every run"), value))
    parties, goal_latency, most = WALL_GOAL
    if latency == goal_latency and agent_latency == latency:
        row = next(r for r in rows if r.parties == parties)
        what = f"L = {latency * 1000:.0f} ms, {parties} parties, wall / L"
        checks.append(verdict(Goal(what, most, "median"), row.wall_in_latencies(latency), "{:.1f}"))
    return checks


def timeline(measurement: Measurement) -> str:
    """Each call of one import, in the order it started, in ms from the first call, as the sandbox
    and as the service saw it."""
    lines = [f"  {measurement.matter_number} ({measurement.parties} parties, depth {measurement.depth} seen from the "
             f"sandbox, {measurement.service_depth} from the service), ms from its first call:"]
    for side, calls in (("sandbox", measurement.calls), ("service", measurement.service_calls)):
        ordered = sorted(calls, key=lambda c: c["started"])
        first = ordered[0]["started"] if ordered else 0.0
        lines.append(f"   {side}:")
        lines += [
            f"    {(c['started'] - first) * 1000:7.1f} → {(c['finished'] - first) * 1000:7.1f}  {c['method']} {c['path']}"
            for c in ordered
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency", type=float, action="append",
                        help="seconds injected into every Clio Operate call; repeat for a sweep "
                             f"(default: {' and '.join(str(s) for s in SWEEP)})")
    parser.add_argument("--agent-latency", type=float, default=None,
                        help="seconds injected into every Aderant agent call (default: as --latency; 0 for none)")
    parser.add_argument("--runs", type=int, default=MIN_RUNS,
                        help=f"runs per latency, each on a fresh demo (default and least {MIN_RUNS})")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="also print every call of each import of the run with the deepest 50-party import")
    parser.add_argument("--tls", action="store_true", help=TLS_HELP)
    parser.add_argument("--think", type=float, default=THINK_SECONDS,
                        help=f"seconds between a matter's preview and its import (default: {THINK_SECONDS:g})")
    args = parser.parse_args(argv)
    latencies = tuple(args.latency or SWEEP)
    if any(latency < 0 for latency in latencies) or (args.agent_latency or 0) < 0 or args.think < 0:
        parser.error("latencies and --think must not be negative")
    if args.runs < MIN_RUNS:
        parser.error(f"--runs must be at least {MIN_RUNS}: figures are the median and the worst of the runs")

    print("PMS Sync import benchmark: service served by uvicorn in this process, sandbox in a forked one, "
          f"loopback {'HTTPS' if args.tls else 'HTTP'}, SQLite")
    print(f"  {args.runs} runs per latency on fresh demos, each after an unmeasured warm-up import of "
          f"{WARM_UP_MATTER}; each matter previewed (not measured), then imported {args.think:g} s later with "
          f"default decisions; {os.cpu_count()} CPUs", flush=True)
    checks: list[tuple[bool, str]] = []
    for latency in latencies:
        agent_latency = latency if args.agent_latency is None else args.agent_latency
        print()
        print(f"L = {latency * 1000:.0f} ms: injected latency on Clio Operate {describe(latency)}; "
              f"Aderant agent {describe(agent_latency)}", flush=True)
        try:
            runs = [run(latency, agent_latency, args.tls, args.think) for _ in range(args.runs)]
            rows = [Row([measurements[index] for measurements in runs]) for index in range(len(MEASURED))]
            for row in rows:
                row.check_same_calls()
        except BenchmarkError as exc:
            print(f"benchmark failed: {exc}", file=sys.stderr)
            return 2
        print(table(rows, latency))
        print("  each figure: median / worst (every run's, in order)")
        if args.verbose:
            deepest = max(runs, key=lambda measurements: measurements[-1].depth)
            print("\n".join(timeline(m) for m in deepest))
        checks += goals(rows, latency, agent_latency)

    print()
    heading = "Goals:" if checks else "Goals: none apply at these settings (they are set at 20 and 100 ms)."
    return report(checks, heading=heading, hint=" (-v shows each call of the deepest runs)")


if __name__ == "__main__":
    sys.exit(main())
