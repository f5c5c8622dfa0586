"""``pms-sync serve`` as a real process on loopback: uvicorn as the command configures it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2

from sandbox.ports import bound_socket, port_of
from store.secrets import SecretBox

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Served:
    url: str
    port: int
    process: subprocess.Popen

    def peak_memory_mb(self) -> float:
        """The process's peak resident memory so far (VmHWM)."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024


@contextmanager
def pms_sync_serve(data_dir: Path, root: Path = ROOT) -> Iterator[Served]:
    """Migrate a SQLite database in ``data_dir`` and serve it from the code in ``root``."""
    listening = bound_socket()
    port = port_of(listening)
    env = {
        **os.environ,
        "PMS_SYNC_DATABASE_URL": f"sqlite:///{data_dir / 'pms-sync.db'}",
        "PMS_SYNC_SECRET_KEYS": SecretBox.generate_key(),
        "PMS_SYNC_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    command = [sys.executable, "-m", "views.cli"]
    subprocess.run([*command, "db", "upgrade"], env=env, cwd=root, check=True, capture_output=True)
    with open(data_dir / "serve.log", "w") as log:
        process = subprocess.Popen(
            [*command, "serve", "--fd", str(listening.fileno())], env=env, cwd=root, stdout=log, stderr=subprocess.STDOUT,
            pass_fds=(listening.fileno(),),
        )
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx2.get(f"{url}/readyz").status_code == 200:
                        break
                except httpx2.TransportError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"pms-sync serve did not start: {(data_dir / 'serve.log').read_text()}")
                time.sleep(0.1)
            yield Served(url, port, process)
        finally:
            process.terminate()
            process.wait(timeout=15)
            listening.close()
