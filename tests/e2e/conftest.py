"""The demo (service + sandbox) started as a real process, reached over loopback HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2
import pytest

from sandbox.ports import bound_socket_pair, port_of


@dataclass
class Demo:
    info: dict
    data_dir: Path

    @property
    def service_url(self) -> str:
        return self.info["service_url"]

    @property
    def sandbox_url(self) -> str:
        return self.info["sandbox_url"]

    def environment(self, name: str = "Production") -> dict:
        return next(e for e in self.info["environments"] if e["name"] == name)

    def user_token(self, username: str = "staff@sandbox.test", environment: str = "Production") -> str:
        env = self.environment(environment)
        response = httpx2.post(
            f"{env['identity_url']}/connect/token",
            auth=(env["client_id"], env["client_secret"]),
            data={"grant_type": "Impersonate.Specified", "scope": "sharedo",
                  "impersonate_user": username, "impersonate_provider": "idsrv"},
        )
        response.raise_for_status()
        return response.json()["access_token"]

    def control(self, method: str, path: str, **kwargs: object) -> httpx2.Response:
        return httpx2.request(method, f"{self.sandbox_url}/_sandbox{path}", **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    with running_demo(tmp_path_factory.mktemp("demo")) as started:
        yield started


@pytest.fixture(scope="session")
def relay_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """`pms-sync demo --relay`: Production's agent listens on the sandbox's stand-in Azure Relay."""
    with running_demo(tmp_path_factory.mktemp("relay-demo"), "--relay") as started:
        deadline = time.monotonic() + 30
        while started.control("GET", "/relay").json()["listeners"] != {"aderant": 1}:
            if time.monotonic() > deadline:
                raise RuntimeError("the agent did not start listening on the stand-in relay in 30 s")
            time.sleep(0.1)
        yield started


@contextmanager
def running_demo(data_dir: Path, *options: str, settings: Mapping[str, str] | None = None) -> Iterator[Demo]:
    """`settings`: PMS_SYNC_* variables for the demo process, over the defaults here."""
    sockets = bound_socket_pair()  # the service's and the sandbox's, kept open until the demo has stopped
    fds = tuple(sock.fileno() for sock in sockets)
    env = {**os.environ, "PMS_SYNC_REMOTE_TIMEOUT": "3", "PMS_SYNC_LOG_LEVEL": "WARNING", **(settings or {})}
    with sockets[0], sockets[1], open(data_dir / "demo.log", "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "views.cli", "demo", "--fds", *map(str, fds), "--data-dir", str(data_dir), *options],
            stdout=log, stderr=subprocess.STDOUT, env=env, cwd=Path(__file__).resolve().parents[2], pass_fds=fds,
        )
        try:
            yield Demo(_wait_until_ready(process, data_dir, port_of(sockets[0])), data_dir)
        finally:
            process.terminate()
            process.wait(timeout=15)


def _wait_until_ready(process: subprocess.Popen, data_dir: Path, port: int) -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the demo exited: {(data_dir / 'demo.log').read_text()}")
        try:
            if httpx2.get(f"http://127.0.0.1:{port}/readyz").status_code == 200 and \
                    httpx2.get(f"http://127.0.0.1:{port + 1}/_sandbox/faults").status_code == 200:
                return json.loads((data_dir / "sandbox.json").read_text())
        except httpx2.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the demo did not become ready in 60 s")
