"""The service's connection pool: httpcore2's, with a bookkeeping pass that costs less per connection.

httpcore2's pool runs one pass over every connection whenever a request arrives and whenever an
answer is closed: twice per call. With the connections a 50-party import keeps open (about 50),
each pass cost about 100 µs, a quarter of the service's CPU for that import (310 passes, 27 to
31 ms of about 110 ms; figures in benchmarks/README.md), and most of it went to probing whether the
server had closed each idle connection (a ``poll`` per idle connection per pass).

This pass asks each connection less, and probes an idle connection only when it is about to carry
a request (and in a sweep of every idle connection at most once per ``SWEEP_SECONDS``), which is
when the answer matters: a connection the server closed is then closed and the next one taken.
Everything else is httpcore2's: requests, waits, connections, HTTP/2, closing.
"""

from __future__ import annotations

import time

import httpcore2
from httpcore2 import AsyncConnectionInterface

# How often, at most, every idle connection is checked for a server's close or its keep-alive
# expiry, beyond the check of each one picked to carry a request.
SWEEP_SECONDS = 1.0


class LeanConnectionPool(httpcore2.AsyncConnectionPool):
    """``httpcore2.AsyncConnectionPool`` with a cheaper ``_assign_requests_to_connections`` (module docstring)."""

    _next_sweep = 0.0

    def _assign_requests_to_connections(self) -> list[AsyncConnectionInterface]:
        closing: list[AsyncConnectionInterface] = []
        retained: list[AsyncConnectionInterface] = []
        idle: list[AsyncConnectionInterface] = []  # unreserved, oldest first
        shared: list[AsyncConnectionInterface] = []  # can take another request while busy (HTTP/2)
        # A connection referenced by a request is reserved for it: being established, or idle
        # until the request is sent on it.
        reserved = {r.connection for r in self._requests if r.connection is not None}
        for connection in self._connections:
            if connection.is_closed():
                continue
            is_reserved = connection in reserved
            if not is_reserved and not connection.is_connected():
                continue  # its request was cancelled before it connected: nothing to close
            retained.append(connection)
            if connection.is_idle():
                if not is_reserved:
                    idle.append(connection)
                elif connection.can_multiplex() and connection.is_available():
                    shared.append(connection)
            elif connection.is_available():
                shared.append(connection)

        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + SWEEP_SECONDS
            expired = [connection for connection in idle if connection.has_expired()]
            closing.extend(expired)
            idle = [connection for connection in idle if connection not in expired]
        surplus = len(idle) - self._max_keepalive_connections
        if surplus > 0:
            closing.extend(idle[:surplus])
            idle = idle[surplus:]
        self._connections = [connection for connection in retained if connection not in closing]

        for request in self._requests:
            if not (idle or shared or self._room()):
                break
            if request.connection is not None:
                continue
            origin = request.request.url.origin
            # Picking an idle connection may find it closed and close it: room is counted after.
            chosen = self._shared_for(origin, shared) or self._idle_for(origin, idle, closing)
            if chosen is None:
                if not self._room() and idle:  # make room: close the oldest idle connection, of whatever origin
                    evicted = idle.pop(0)
                    self._connections.remove(evicted)
                    closing.append(evicted)
                if not self._room():
                    continue
                chosen = self.create_connection(origin)
                self._connections.append(chosen)
            request.assign_to_connection(chosen)
            if chosen.can_multiplex() and chosen not in shared:
                shared.append(chosen)
        return closing

    def _room(self) -> bool:
        """Whether another connection may be opened."""
        return len(self._connections) < self._max_connections

    @staticmethod
    def _shared_for(origin: httpcore2.Origin, shared: list[AsyncConnectionInterface]) -> AsyncConnectionInterface | None:
        return next((connection for connection in shared if connection.can_handle_request(origin)), None)

    def _idle_for(
        self, origin: httpcore2.Origin, idle: list[AsyncConnectionInterface], closing: list[AsyncConnectionInterface]
    ) -> AsyncConnectionInterface | None:
        """The most recently used idle connection to `origin` that is still open; those found closed
        by the server or past their keep-alive are closed on the way."""
        for index in range(len(idle) - 1, -1, -1):
            connection = idle[index]
            if not connection.can_handle_request(origin):
                continue
            del idle[index]
            if connection.has_expired():
                self._connections.remove(connection)
                closing.append(connection)
                continue
            return connection
        return None
