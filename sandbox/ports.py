"""Free loopback ports for running the demo (service on P, sandbox on P + 1) in tests and benchmarks."""

from __future__ import annotations

import socket


def free_port_pair() -> int:
    """A port P with P and P + 1 both free on 127.0.0.1."""
    for _ in range(50):
        with socket.socket() as first:
            first.bind(("127.0.0.1", 0))
            port = first.getsockname()[1]
            with socket.socket() as second:
                try:
                    second.bind(("127.0.0.1", port + 1))
                except OSError:
                    continue
        return port
    raise RuntimeError("no two consecutive free ports on 127.0.0.1")
