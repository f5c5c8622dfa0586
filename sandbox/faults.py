"""Latency and fault injection over the whole sandbox, and the log of the calls it served.

`FaultMiddleware` wraps the sandbox app. Each request (except the `/_sandbox` controls) is
matched against the rules in order; the first live rule that matches fires: it receives the
request, waits `delay` seconds (applying it even when the caller has gone meanwhile), then either
holds the request open until the client gives up (`timeout`), answers
`status` with `{"error": "injected fault"}`, or lets the request through. A `lose_answer` rule
lets the request through first and then holds its answer back until the client gives up: the
write happened, but the caller never learns it did. A `late` rule answers 504 at once, as a
gateway that gave up would, and applies the request `late` seconds later: the write lands after
the caller was told it timed out (Clio Operate applying a create after our time limit).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any, Literal

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

TIMEOUT_HOLD_SECONDS = 300.0
CONTROL_PREFIX = "/_sandbox"


@dataclass
class FaultRule:
    path: str
    method: str | None = None
    match: Literal["exact", "prefix"] = "exact"
    delay: float = 0.0
    status: int | None = None
    timeout: bool = False
    lose_answer: bool = False
    late: float | None = None
    times: int | None = None
    fired: int = 0

    def __post_init__(self) -> None:
        if self.path.endswith("*"):
            self.path, self.match = self.path[:-1], "prefix"
        if not self.path.startswith("/"):
            raise ValueError("path must start with '/'")
        if self.match not in ("exact", "prefix"):
            raise ValueError("match must be 'exact' or 'prefix'")
        if self.delay < 0:
            raise ValueError("delay must not be negative")
        if self.status is not None and not 100 <= self.status <= 599:
            raise ValueError("status must be an HTTP status code")
        if self.late is not None and self.late < 0:
            raise ValueError("late must not be negative")
        if self.times is not None and self.times < 1:
            raise ValueError("times must be at least 1")
        self.method = self.method.upper() if self.method else None

    @property
    def spent(self) -> bool:
        return self.times is not None and self.fired >= self.times

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method != method:
            return False
        return path.startswith(self.path) if self.match == "prefix" else path == self.path

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


class Faults:
    def __init__(self) -> None:
        self.rules: list[FaultRule] = []

    def add(
        self,
        path: str,
        *,
        method: str | None = None,
        match: Literal["exact", "prefix"] = "exact",
        delay: float = 0.0,
        status: int | None = None,
        timeout: bool = False,
        lose_answer: bool = False,
        late: float | None = None,
        times: int | None = None,
    ) -> FaultRule:
        """Add a rule; a `path` ending in `*` matches as a prefix. ValueError if it makes no sense."""
        rule = FaultRule(path, method, match, delay, status, timeout, lose_answer, late, times)
        self.rules.append(rule)
        return rule

    def clear(self) -> None:
        self.rules.clear()

    def fire(self, method: str, path: str) -> FaultRule | None:
        """The rule that fires for this request, counted as fired; None when no live rule matches."""
        for rule in self.rules:
            if not rule.spent and rule.matches(method, path):
                rule.fired += 1
                return rule
        return None


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    started: float
    finished: float
    status: int | None
    """None when no response was sent (the client gave up first)."""
    traceparent: str | None = None
    """The caller's W3C `traceparent` header, to follow one request of the service end to end."""


class CallLog:
    def __init__(self) -> None:
        self.calls: list[Call] = []

    def record(self, call: Call) -> None:
        self.calls.append(call)

    def clear(self) -> None:
        self.calls.clear()

    def as_json(self) -> list[dict[str, Any]]:
        return [asdict(call) for call in self.calls]


async def _hold_until_disconnect(scope: Scope, receive: Receive, send: Send) -> None:
    async def disconnected() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    try:
        await asyncio.wait_for(disconnected(), TIMEOUT_HOLD_SECONDS)
    except TimeoutError:
        await JSONResponse({"error": "injected timeout"}, status_code=504)(scope, receive, send)


async def _discard(message: Message) -> None:
    """The answer that never reaches the caller."""


async def _buffered(receive: Receive) -> Receive:
    """The request read to its end, to be replayed later; then the client is gone."""
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body"):
            break

    async def replay() -> Message:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    return replay


class FaultMiddleware:
    def __init__(
        self, app: ASGIApp, faults: Faults, calls: CallLog, *, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    ) -> None:
        self.app = app
        self.faults = faults
        self.calls = calls
        self._sleep = sleep  # how a rule's delay and a late write wait
        self._late: set[asyncio.Task[None]] = set()  # writes still to land

    def _apply_later(self, seconds: float, scope: Scope, receive: Receive) -> None:
        async def land() -> None:
            await self._sleep(seconds)
            await self.app(scope, receive, _discard)

        task = asyncio.create_task(land())
        self._late.add(task)
        task.add_done_callback(self._late.discard)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        started = time.time()
        status: int | None = None
        recorded = False

        def record() -> None:
            nonlocal recorded
            if not recorded:
                recorded = True
                traceparent = Headers(scope=scope).get("traceparent")
                self.calls.record(Call(scope["method"], scope["path"], started, time.time(), status, traceparent))

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                record()  # before the answer's last part leaves: whoever has the answer finds the call logged
            await send(message)

        try:
            await self._serve(scope, receive, send_and_note_status)
        except Exception:
            status = status or 500
            raise
        finally:
            record()  # an answer never finished: the caller gave up, or the app failed

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        rule = self.faults.fire(scope["method"], scope["path"])
        if rule is not None and rule.delay:
            # The request was received before the wait: it is applied even if its caller is gone by then.
            receive = await _buffered(receive)
            await self._sleep(rule.delay)
        if rule is not None and rule.late is not None:
            self._apply_later(rule.late, dict(scope), await _buffered(receive))
            await JSONResponse({"error": "injected late write: gateway timeout"}, status_code=504)(scope, receive, send)
        elif rule is not None and rule.lose_answer:
            await self.app(scope, receive, _discard)
            await _hold_until_disconnect(scope, receive, send)
        elif rule is not None and rule.timeout:
            await _hold_until_disconnect(scope, receive, send)
        elif rule is not None and rule.status is not None:
            await JSONResponse({"error": "injected fault"}, status_code=rule.status)(scope, receive, send)
        else:
            await self.app(scope, receive, send)
