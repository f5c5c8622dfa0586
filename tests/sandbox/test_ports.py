"""Servers on sockets bound beforehand (sandbox/ports.py) answer as servers that bind their own."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest

from sandbox.ports import bound_socket, port_of
from views.demo import run_demo


async def test_connections_to_a_bound_socket_have_nagles_algorithm_off() -> None:
    """asyncio sets TCP_NODELAY only where the socket says it is TCP; left on, an answer written as
    headers then body waited 40 ms for the client's delayed acknowledgement (every import of the
    import benchmark took 125 ms longer)."""
    accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def connected(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        accepted.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        writer.close()

    with bound_socket() as sock:
        server = await asyncio.start_server(connected, sock=sock)
        async with server:
            _, writer = await asyncio.open_connection("127.0.0.1", port_of(sock))
            assert await asyncio.wait_for(accepted, 5) == 1
            writer.close()


async def test_the_demo_refuses_a_sandbox_socket_not_on_the_port_after_the_services(tmp_path: Path) -> None:
    """Every sandbox address the demo stores (its API, the agent, the sign-in redirect) is made from
    the service's port plus one: a sandbox socket elsewhere would give a demo wired wrong."""
    with bound_socket() as service, bound_socket() as first, bound_socket() as second:
        elsewhere = first if port_of(first) != port_of(service) + 1 else second
        with pytest.raises(SystemExit, match=f"port {port_of(service) + 1}"):
            await run_demo(host="127.0.0.1", port=0, data_dir=tmp_path, sockets=(service, elsewhere))
    assert not any(tmp_path.iterdir()), "refused before anything was set up"
