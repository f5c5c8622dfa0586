"""Failures of remote systems, worded so a page can show them as they are.

Views map them to HTTP statuses: RemoteUnavailable 502, RemoteTimeout 504, RemoteAuthError 502,
RemoteNotFound 404, RemoteRejected 502 (and a bare RemoteError, an unreadable answer, 502).
Messages never carry tokens, keys or secrets.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


class RemoteError(Exception):
    """A remote system failed; `str()` is a plain sentence naming the system and environment."""

    template = "{system} gave an answer we could not read for {environment}: {detail}"
    retry_after: float | None = None
    """Seconds the remote asked us to wait before trying again (its Retry-After), when it said."""

    def __init__(self, system: str, environment: str, detail: str) -> None:
        self.system = system
        self.environment = environment
        self.detail = detail
        super().__init__(self.template.format(system=system, environment=environment, detail=detail))


class RemoteUnavailable(RemoteError):
    """Could not connect, the remote failed (5xx), or the relay has no agent listening."""

    template = "{system} is not reachable for {environment}: {detail}"


class RemoteUnreachable(RemoteUnavailable):
    """No connection at all (DNS, refused, TLS): the URL or the network is wrong, not the remote."""


class RemoteTimeout(RemoteError):
    template = "{system} did not answer in time for {environment}: {detail}"


class RemoteAuthError(RemoteError):
    """401/403: our credentials or permissions are wrong; `detail` says what to check."""

    template = "{system} refused our credentials for {environment}: {detail}"


class RemoteNotFound(RemoteError):
    """`detail` names the missing thing, e.g. "Matter 999 was not found"."""

    template = "{detail} in {system} ({environment})"


class RemoteRejected(RemoteError):
    """The remote refused the request itself (400/409/422); `detail` is its own message."""

    template = "{system} rejected the request for {environment}: {detail}"


async def answer_or_error(call: Awaitable[T]) -> T | RemoteError:
    """The answer, or the remote failure that stands in its place: a page gathering several reads
    says which failed and shows the others, while any other failure raises at once."""
    try:
        return await call
    except RemoteError as exc:
        return exc
