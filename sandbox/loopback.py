"""The sandbox on loopback, served from a thread, for the tests and benchmarks that run the service
as its own process (`benchmarks/service_processes.py`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.applications import Starlette

from sandbox.app import create_sandbox_app
from sandbox.ports import SocketServer, bound_socket, port_of

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
