"""Loopback sockets bound before their server starts and handed to it, for running the demo
(service on P, sandbox on P + 1) and `pms-sync serve` in tests and benchmarks: the port is the
operating system's pick and stays ours, never found free and let go for a server to take later."""

from __future__ import annotations

import socket

import uvicorn


def bound_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A TCP socket bound to ``port`` (0: one the operating system picks), not yet listening;
    inheritable, so a child process can serve on it (``pms-sync serve --fd``)."""
    # IPPROTO_TCP named, not left 0: asyncio turns Nagle's algorithm off (TCP_NODELAY) only on
    # connections whose socket says TCP, and with it on, an answer written in two parts waits for
    # the client's delayed acknowledgement (40 ms on Linux).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def bound_socket_pair(host: str = "127.0.0.1") -> tuple[socket.socket, socket.socket]:
    """Sockets bound to P (the operating system's pick) and P + 1, as the demo's service and sandbox use."""
    for _ in range(50):
        first = bound_socket(host)
        try:
            return first, bound_socket(host, port_of(first) + 1)
        except OSError:
            first.close()
    raise RuntimeError(f"no two consecutive free ports on {host}")


def port_of(sock: socket.socket) -> int:
    return int(sock.getsockname()[1])


class SocketServer(uvicorn.Server):
    """A uvicorn server that serves on a socket bound beforehand (``run()`` and ``serve()`` alike)."""

    def __init__(self, config: uvicorn.Config, sock: socket.socket) -> None:
        super().__init__(config)
        self.sock = sock

    async def serve(self, sockets: list[socket.socket] | None = None) -> None:
        await super().serve(sockets=sockets or [self.sock])
