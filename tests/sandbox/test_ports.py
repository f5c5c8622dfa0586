"""Servers on sockets bound beforehand (sandbox/ports.py) answer as servers that bind their own."""

from __future__ import annotations

import asyncio
import socket

from sandbox.ports import bound_socket, port_of


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
