"""W3C Trace Context (https://www.w3.org/TR/trace-context/): the trace this work belongs to, and
the ``traceparent`` header each remote call carries.

The trace id is also the request id people quote from an error page: one id follows a request
through our log lines and every system it calls.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass

TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
INVALID_TRACE = "0" * 32
INVALID_SPAN = "0" * 16


@dataclass(frozen=True)
class Trace:
    trace_id: str
    flags: str = "01"

    def traceparent(self, span_id: str | None = None) -> str:
        """The header for one outgoing call: this trace, the call's span id (a new one by default)."""
        return f"00-{self.trace_id}-{span_id or new_span_id()}-{self.flags}"


_current: ContextVar[Trace | None] = ContextVar("pms_sync_trace", default=None)


def new_span_id() -> str:
    return secrets.token_hex(8)


def new_trace() -> Trace:
    return Trace(secrets.token_hex(16))


def trace_from(traceparent: str | None) -> Trace:
    """The caller's trace when ``traceparent`` is a valid version-00 header, else a new one."""
    found = TRACEPARENT.match((traceparent or "").strip().lower())
    if found is None or found.group(1) == INVALID_TRACE or found.group(2) == INVALID_SPAN:
        return new_trace()
    return Trace(found.group(1), found.group(3))


def current_trace() -> Trace | None:
    return _current.get()


def current_trace_id() -> str | None:
    trace = _current.get()
    return trace.trace_id if trace else None


def enter_trace(trace: Trace) -> Token[Trace | None]:
    """Make ``trace`` current until ``leave_trace(token)``."""
    return _current.set(trace)


def leave_trace(token: Token[Trace | None]) -> None:
    _current.reset(token)


@contextmanager
def background_trace() -> Iterator[Trace]:
    """A new trace for work no request started (a scheduled run, a round of SIEM delivery)."""
    trace = new_trace()
    token = enter_trace(trace)
    try:
        yield trace
    finally:
        leave_trace(token)
