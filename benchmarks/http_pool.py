"""HTTP stack benchmark: CPU per request and connections opened when a client fans out.

Serves a small app with uvicorn from a child process forked from this one, on a loopback port,
answering every GET after a latency L (20 ms by default) and counting the TCP connections its
clients open (`benchmarks.measure.PeerCounter`). For each fan-out N (50 and 200 by default) and
each candidate stack, a fresh client sends `--bursts` bursts of N concurrent GETs, one burst after
the other, and the benchmark notes this process's CPU time over them (`time.process_time`: the
client's work, the server's is in its own process) and the connections the server saw opened. It
does that `--runs` times (at least 3), the stacks taking turns within each run, and prints every
figure as the median and the worst of the runs, with each run's figure.

The candidates: httpx (httpcore 1.x) and httpx2 (httpcore2), each with the limits the service had
(100 connections, 20 kept alive) and with keep-alive sized to the fan-out (N connections, N kept
alive); httpx with the service's limits; and the service's own pool,
`clients.http.remote_http_client` with the service's default concurrency C (64): C connections,
all kept alive, HTTP/2 offered (loopback here is plain HTTP/1.1).

Goals, for the service's pool and checked in the exit status: it opens at most min(N, C)
connections over all the bursts (a burst reuses the connections of the one before), in every
run; its median CPU per request is at most half that of httpx with the same limits, and at most
that of httpx with the service's former limits (which reopened connections). Exit status 1 when
a goal is missed, 2 when the benchmark could not run as intended.

    python benchmarks/http_pool.py [--fan-out 50 --fan-out 200] [--latency 0.02] [--bursts 3] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sys
import time
import urllib.request
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if sys.path and Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(ROOT)  # measure this checkout, with no more import paths than `pms-sync` has
elif str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx
import httpx2
import uvicorn

from benchmarks.measure import BenchmarkError, Figure, Goal, PeerCounter, figure, render, verdict
from clients.http import remote_http_client
from plugin.settings import Settings
from sandbox.ports import SocketServer, bound_socket, port_of

FAN_OUTS = (50, 200)
MIN_RUNS = 3
CONCURRENCY = Settings.remote_concurrency
SERVICE = f"service: remote_http_client, {CONCURRENCY} / {CONCURRENCY}"
BEFORE = "httpx, limits 100 / 20"
HTTPX_SERVICE_LIMITS = f"httpx, limits {CONCURRENCY} / {CONCURRENCY}"
CPU_SHARE_GOAL = 0.5
"""The service's pool's median CPU per request, at most this share of httpx's with the same limits."""


Client = Callable[[int], AbstractAsyncContextManager[Any]]
"""A candidate stack: a fresh client for a fan-out of N."""

STACKS: dict[str, Client] = {
    BEFORE: lambda n: httpx.AsyncClient(limits=httpx.Limits(max_connections=100, max_keepalive_connections=20)),
    "httpx, keep-alive = fan-out": lambda n: httpx.AsyncClient(
        limits=httpx.Limits(max_connections=n, max_keepalive_connections=n)
    ),
    HTTPX_SERVICE_LIMITS: lambda n: httpx.AsyncClient(
        limits=httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    ),
    "httpx2, limits 100 / 20": lambda n: httpx2.AsyncClient(
        limits=httpx2.Limits(max_connections=100, max_keepalive_connections=20)
    ),
    "httpx2, keep-alive = fan-out": lambda n: httpx2.AsyncClient(
        limits=httpx2.Limits(max_connections=n, max_keepalive_connections=n)
    ),
    SERVICE: lambda n: remote_http_client(transport=None, timeout=30.0, concurrency=CONCURRENCY),
}


@dataclass(frozen=True)
class Run:
    cpu_per_request_ms: float
    connections: int
    reopened: int
    """Connections opened after the first burst: a later burst that could not reuse them."""


class Server:
    """`PeerCounter` under uvicorn in a forked child process, with its own CPU."""

    def __init__(self, latency: float) -> None:
        self.sock = bound_socket()
        self.port = port_of(self.sock)
        config = uvicorn.Config(
            PeerCounter(latency), log_level="warning", lifespan="off", backlog=4096, timeout_keep_alive=120,
        )
        self.process = multiprocessing.get_context("fork").Process(
            target=SocketServer(config, self.sock).run, name="benchmark-server", daemon=True
        )
        self.url = f"http://127.0.0.1:{self.port}/"

    def __enter__(self) -> Server:
        self.process.start()
        deadline = time.monotonic() + 30
        while True:
            try:
                self.peers()
                return self
            except OSError:
                if time.monotonic() > deadline or not self.process.is_alive():
                    raise BenchmarkError("the loopback server did not start") from None
                time.sleep(0.05)

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.join(timeout=15)
        self.sock.close()

    def peers(self, *, reset: bool = False) -> int:
        """Connections opened since the last reset (this call's own connection is not counted)."""
        request = urllib.request.Request(f"{self.url}_peers", method="DELETE" if reset else "GET")
        with urllib.request.urlopen(request, timeout=10) as answer:
            return int(answer.read())


async def measure(server: Server, stack: Client, fan_out: int, bursts: int) -> Run:
    server.peers(reset=True)
    async with stack(fan_out) as client:
        started = time.process_time()
        opened_by_first = 0
        for burst in range(bursts):
            answers = await asyncio.gather(*(client.get(server.url) for _ in range(fan_out)))
            if any(answer.status_code != 200 for answer in answers):
                raise BenchmarkError("the loopback server did not answer 200")
            if burst == 0:
                opened_by_first = await asyncio.to_thread(server.peers)
        cpu = time.process_time() - started
    opened = server.peers()
    return Run(cpu * 1000 / (bursts * fan_out), opened, opened - opened_by_first)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fan-out", type=int, action="append", help="concurrent GETs per burst (repeatable)")
    parser.add_argument("--latency", type=float, default=0.02, help="the server's answer delay, seconds")
    parser.add_argument("--bursts", type=int, default=3)
    parser.add_argument("--runs", type=int, default=MIN_RUNS)
    args = parser.parse_args(argv)
    fan_outs = tuple(args.fan_out or FAN_OUTS)
    runs = max(args.runs, MIN_RUNS)
    print(f"HTTP stack benchmark: {runs} runs of {args.bursts} bursts per fan-out, L = {args.latency * 1000:.0f} ms, "
          f"server in a forked process; figures median / worst (each run)")
    missed = False
    try:
        with Server(args.latency) as server:
            for fan_out in fan_outs:
                results: dict[str, list[Run]] = {name: [] for name in STACKS}
                for _ in range(runs):
                    for name, stack in STACKS.items():
                        results[name].append(asyncio.run(measure(server, stack, fan_out, args.bursts)))
                missed |= report(fan_out, args.bursts, results)
    except BenchmarkError as exc:
        print(f"could not run: {exc}")
        return 2
    return 1 if missed else 0


def report(fan_out: int, bursts: int, results: dict[str, list[Run]]) -> bool:
    """Prints the table and the goals for one fan-out; True when a goal is missed."""
    cpu = {name: figure([r.cpu_per_request_ms for r in runs]) for name, runs in results.items()}
    opened = {name: figure([r.connections for r in runs]) for name, runs in results.items()}
    reopened = {name: figure([r.reopened for r in runs]) for name, runs in results.items()}
    print(f"\nfan-out N = {fan_out}, {bursts} bursts ({bursts * fan_out} requests) per run")
    header = ["stack", "CPU ms / request", "connections opened", "of them after the 1st burst"]
    print(render(header, [
        [name, cpu[name].show("{:.2f}"), opened[name].show(), reopened[name].show()] for name in results
    ]))
    goals: list[tuple[Goal, Figure, str]] = [
        (Goal(f"{SERVICE}: connections opened, N = {fan_out}", min(fan_out, CONCURRENCY), "every run"),
         opened[SERVICE], "{:.0f}"),
        (Goal(f"{SERVICE}: CPU ms / request, N = {fan_out} ({CPU_SHARE_GOAL:.0%} of {HTTPX_SERVICE_LIMITS})",
              CPU_SHARE_GOAL * cpu[HTTPX_SERVICE_LIMITS].median, "median"), cpu[SERVICE], "{:.2f}"),
        (Goal(f"{SERVICE}: CPU ms / request, N = {fan_out} (at most {BEFORE})", cpu[BEFORE].median, "median"),
         cpu[SERVICE], "{:.2f}"),
    ]
    missed = False
    for goal, value, fmt in goals:
        met, line = verdict(goal, value, fmt)
        print(line)
        missed |= not met
    return missed


if __name__ == "__main__":
    sys.exit(main())
