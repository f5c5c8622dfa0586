"""The sandbox and `pms-sync serve` processes on loopback, run as a firm runs the service: for the
tests and benchmarks that kill a service, or run two replicas over one database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2
import uvicorn
from starlette.applications import Starlette

from sandbox.app import create_sandbox_app
from sandbox.demo import configure_sandbox_organisation
from sandbox.ports import SocketServer, bound_socket, port_of
from store.db import make_engine
from store.repository import Store
from store.secrets import SecretBox

ROOT = Path(__file__).resolve().parents[1]
AGENT_KEY = "agent-key-on-loopback"


@contextmanager
def sandbox_on_loopback(aderant_url: str, service_url: str) -> Iterator[tuple[Starlette, str]]:
    """The sandbox served by uvicorn from a thread of this process: (its app, its base URL)."""
    sock = bound_socket()
    base = f"http://127.0.0.1:{port_of(sock)}"
    app = create_sandbox_app(base_url=base, aderant_database_url=aderant_url, agent_api_key=AGENT_KEY, service_url=service_url)
    server = SocketServer(uvicorn.Config(app, log_level="warning"), sock)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the sandbox did not start")
        time.sleep(0.05)
    try:
        yield app, base
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def serve_service(database_url: str, key: str, sock: socket.socket) -> subprocess.Popen:
    """`pms-sync serve` on the bound socket (see sandbox.ports), once it answers /readyz."""
    service_url = f"http://127.0.0.1:{port_of(sock)}"
    env = {
        **os.environ, "PMS_SYNC_DATABASE_URL": database_url, "PMS_SYNC_SECRET_KEYS": key,
        "PMS_SYNC_PUBLIC_URL": service_url, "PMS_SYNC_COOKIE_SECURE": "false", "PMS_SYNC_LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "views.cli", "serve", "--fd", str(sock.fileno())],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, pass_fds=(sock.fileno(),),
    )
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("the service did not start")
        try:
            if httpx2.get(f"{service_url}/readyz").status_code == 200:
                return process
        except httpx2.TransportError:
            pass
        time.sleep(0.1)


def stop_service(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def configure_organisation(database_url: str, sandbox: Starlette, base: str) -> str:
    """The demo's organisation and environments in the database, reaching the sandbox at `base`;
    the secret key the services must run with."""
    key = SecretBox.generate_key()
    store = Store(make_engine(database_url), SecretBox(key))
    try:
        configure_sandbox_organisation(
            store, sandbox.state.sandbox.environments(), agent_url=f"{base}/aderant", agent_key=AGENT_KEY
        )
    finally:
        store.close()
    return key
