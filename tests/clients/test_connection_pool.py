"""The service's connection pool (clients/connection_pool.py) keeps httpcore2's behaviour with a
cheaper bookkeeping pass: connections are reused, bounded, trimmed to the keep-alive limit, and
one the server closed or that outlived its keep-alive is never used, over real loopback sockets.
Its connections send an HTTP/1.1 request's head and body in one write (clients/http.py)."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator

import httpcore2
import pytest

from clients import connection_pool
from clients.connection_pool import LeanConnectionPool
from clients.http import ConnectionStream, pooled_transport


class Server:
    """A loopback HTTP/1.1 server that keeps connections alive, counts those opened and open, and
    holds each answer until `release` while `hold` is set."""

    def __init__(self) -> None:
        self.opened = 0
        self.open: set[asyncio.StreamWriter] = set()
        self.most_open = 0
        self.hold = False
        self.held = 0  # requests waiting for `release`
        self.release = asyncio.Event()
        self.url = ""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.opened += 1
        self.open.add(writer)
        self.most_open = max(self.most_open, len(self.open))
        try:
            while await reader.readuntil(b"\r\n\r\n"):
                if self.hold:
                    self.held += 1
                    await self.release.wait()
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.open.discard(writer)
            writer.close()

    def close_idle_connections(self) -> None:
        """What a server does to connections idle past its own keep-alive."""
        for writer in list(self.open):
            writer.close()
        self.open.clear()


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    server = Server()
    listening = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    server.url = f"http://127.0.0.1:{listening.sockets[0].getsockname()[1]}/"
    async with listening:
        yield server
        server.close_idle_connections()


async def get(pool: httpcore2.AsyncConnectionPool, url: str) -> bytes:
    response = await pool.request("GET", url)
    return response.content


async def burst(pool: httpcore2.AsyncConnectionPool, server: Server, size: int, at_once: int | None = None) -> list[bytes]:
    """`size` requests, the server holding the answers until `at_once` (all, by default) have arrived."""
    server.hold, server.held, server.release = True, 0, asyncio.Event()
    calls = [asyncio.create_task(get(pool, server.url)) for _ in range(size)]
    while server.held < (at_once or size):
        await asyncio.sleep(0.005)
    server.release.set()
    answers = await asyncio.gather(*calls)
    server.hold = False
    return answers


async def test_the_service_pool_is_the_lean_one() -> None:
    assert isinstance(pooled_transport(8)._pool, LeanConnectionPool)


async def test_sequential_calls_reuse_one_connection(server: Server) -> None:
    async with LeanConnectionPool(max_connections=8) as pool:
        assert [await get(pool, server.url) for _ in range(5)] == [b"ok"] * 5
    assert server.opened == 1


async def test_a_burst_opens_a_connection_per_call_and_the_next_burst_reuses_them(server: Server) -> None:
    async with LeanConnectionPool(max_connections=8) as pool:
        assert await burst(pool, server, 6) == [b"ok"] * 6
        assert server.opened == 6
        assert await burst(pool, server, 6) == [b"ok"] * 6
    assert server.opened == 6


async def test_calls_beyond_max_connections_wait_for_one_and_all_are_answered(server: Server) -> None:
    async with LeanConnectionPool(max_connections=2) as pool:
        assert await burst(pool, server, 7, at_once=2) == [b"ok"] * 7
    assert server.most_open == 2
    assert server.opened == 2


async def test_idle_connections_beyond_the_keep_alive_limit_are_closed(server: Server) -> None:
    async with LeanConnectionPool(max_connections=4, max_keepalive_connections=1) as pool:
        await burst(pool, server, 4)
        await get(pool, server.url)  # a pass after the burst's answers: the surplus is closed
        await asyncio.sleep(0.05)
        assert len(pool.connections) == 1
        assert len(server.open) == 1


async def test_a_connection_the_server_closed_is_not_used(server: Server) -> None:
    async with LeanConnectionPool(max_connections=4) as pool:
        await burst(pool, server, 3)
        server.close_idle_connections()
        await asyncio.sleep(0.05)  # the closes reach the client's sockets
        assert [await get(pool, server.url) for _ in range(3)] == [b"ok"] * 3
        assert server.opened == 4, "one new connection, after the three closed ones were found closed"
        assert len(pool.connections) == 1


async def test_a_full_pool_whose_connections_the_server_closed_opens_a_new_one(server: Server) -> None:
    async with LeanConnectionPool(max_connections=3) as pool:
        await burst(pool, server, 3)  # the pool is full: 3 idle connections, and it has just swept them
        server.close_idle_connections()
        await asyncio.sleep(0.05)
        assert await asyncio.wait_for(get(pool, server.url), timeout=5) == b"ok", "a closed connection frees its place"
        assert server.opened == 4


async def test_a_connection_past_its_keep_alive_is_not_used_and_the_sweep_closes_the_others(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connection_pool, "SWEEP_SECONDS", 0.0)
    async with LeanConnectionPool(max_connections=4, keepalive_expiry=0.05) as pool:
        await burst(pool, server, 3)
        await asyncio.sleep(0.1)
        assert await get(pool, server.url) == b"ok"
        assert server.opened == 4
        await asyncio.sleep(0.05)
        assert len(server.open) == 1, "the expired connections were closed"


class RecordingStream(httpcore2.AsyncNetworkStream):
    """A connection's far end that records each write and answers every request with 200."""

    def __init__(self, alpn: str | None = None) -> None:
        self.writes: list[bytes] = []
        self.alpn = alpn
        self.tls_end: RecordingStream | None = None  # after start_tls: the far end of the TLS stream

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.writes.append(buffer)

    async def aclose(self) -> None:
        return None

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore2.AsyncNetworkStream:
        self.tls_end = RecordingStream(alpn="h2")  # the server chose HTTP/2
        return self.tls_end

    def get_extra_info(self, info: str) -> object:
        if info == "ssl_object" and self.alpn is not None:
            return type("TLS", (), {"selected_alpn_protocol": lambda _: self.alpn})()
        return None


async def post(stream: httpcore2.AsyncNetworkStream) -> httpcore2.Response:
    origin = httpcore2.Origin(b"http", b"clio.example.test", 80)
    connection = httpcore2.AsyncHTTP11Connection(origin, stream)
    return await connection.request("POST", "http://clio.example.test/api/ods/_search", content=b'{"searchString": "Citizen"}')


async def test_a_request_s_head_and_body_leave_in_one_write() -> None:
    far_end = RecordingStream()
    stream = ConnectionStream(far_end, coalesce=True)
    assert (await post(stream)).status == 200
    assert len(far_end.writes) == 1
    assert far_end.writes[0].startswith(b"POST /api/ods/_search HTTP/1.1\r\n")
    assert far_end.writes[0].endswith(b'\r\n\r\n{"searchString": "Citizen"}')


async def test_an_http2_connection_writes_as_it_goes() -> None:
    far_end = RecordingStream()
    tls = await ConnectionStream(far_end, coalesce=True).start_tls(ssl.create_default_context(), "clio.example.test")
    assert isinstance(tls, ConnectionStream)
    await tls.write(b"frame one")
    await tls.write(b"frame two")
    assert far_end.tls_end is not None
    assert far_end.tls_end.writes == [b"frame one", b"frame two"], "an HTTP/2 connection's writes are not held for a read"
