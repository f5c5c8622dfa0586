"""Which remote system a page's request is waiting for now, so the page that waits can name it.

A preview asks Aderant (through the agent) for the matter, then Clio Operate for contacts and
existing work items. The page that opened it names the token it sent along, and asks for the
token's system while it waits. The record is this process's memory: a question that reaches
another process, or comes before the request has started or after it ended, hears None, and the
page keeps naming every system the request may ask.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager

MAX_WAITS = 10_000  # requests in flight at once; the oldest record goes first beyond it

# Told the system a request starts waiting for ("Aderant", "Clio Operate").
WaitingFor = Callable[[str], None]


class RemoteWaits:
    """In-flight requests' current remote system, by organisation and the page's token."""

    def __init__(self, limit: int = MAX_WAITS) -> None:
        self._limit = limit
        self._systems: OrderedDict[tuple[int, str], str] = OrderedDict()

    @contextmanager
    def tracking(self, organisation_id: int, token: str | None) -> Iterator[WaitingFor]:
        """A `WaitingFor` recording under ``token`` for as long as the block runs (a no-op without one)."""
        if token is None:
            yield lambda system: None
            return
        key = (organisation_id, token)

        def waiting_for(system: str) -> None:
            self._systems[key] = system
            self._systems.move_to_end(key)
            while len(self._systems) > self._limit:
                self._systems.popitem(last=False)

        try:
            yield waiting_for
        finally:
            self._systems.pop(key, None)

    def system(self, organisation_id: int, token: str) -> str | None:
        return self._systems.get((organisation_id, token))
