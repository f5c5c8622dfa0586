"""Turning httpx2 failures and error answers into RemoteError, shared by every client."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx2

from clients.errors import (
    RemoteAuthError,
    RemoteError,
    RemoteNotFound,
    RemoteRejected,
    RemoteTimeout,
    RemoteUnavailable,
    RemoteUnreachable,
)
from clients.http import call_labels, parsed_url

T = TypeVar("T")

MAX_MESSAGE_LENGTH = 300
CREDENTIAL_HEADERS = ("Authorization", "ServiceBusAuthorization")
MESSAGE_KEYS = ("error_description", "error", "message", "Message")


@dataclass(frozen=True)
class RemoteSystem:
    """One remote system in one environment, as named in error messages.

    `secrets` (keys, client secrets) are blanked out of anything the remote says back, as are the
    credentials of the request that failed. `key` names the system in metrics (`clients.http`),
    `environment_id` the environment its calls are reported under (none: not one environment's).
    """

    name: str
    environment: str
    secrets: tuple[str, ...] = ()
    key: str = "other"
    environment_id: int | None = None

    async def request(
        self, http: httpx2.AsyncClient, method: str, url: str, *, operation: str, system: str | None = None, **kwargs: Any
    ) -> httpx2.Response:
        """`http.request(...)`, with connection failures and timeouts raised as RemoteError.

        `operation` (and `system`, when not this one's `key`) name the call in metrics."""
        try:
            return await http.request(method, parsed_url(url), extensions=self.labels(operation, system), **kwargs)
        except httpx2.TransportError as exc:
            raise self.transport_error(exc) from exc

    def labels(self, operation: str, system: str | None = None, **more: Any) -> dict[str, Any]:
        """The request extensions that name a call of this system for the observer."""
        return call_labels(system or self.key, operation, environment_id=self.environment_id, **more)

    def transport_error(self, exc: httpx2.TransportError) -> RemoteError:
        if isinstance(exc, httpx2.TimeoutException):
            return RemoteTimeout(self.name, self.environment, "no answer before the time limit")
        return RemoteUnreachable(self.name, self.environment, self._scrub(str(exc) or type(exc).__name__))

    def status_error(self, response: httpx2.Response, *, auth_hint: str, not_found: str | None) -> RemoteError:
        """The error for a non-2xx answer.

        `auth_hint` says what to check on 401/403. `not_found` names what a 404 means is missing
        ("Matter 7 was not found"); without it a 404 means the configured URL is wrong.
        """
        status = response.status_code
        message = self.message(response)
        if status in (401, 403):
            return RemoteAuthError(self.name, self.environment, f"{auth_hint} ({message})")
        if status == 404:
            if not_found is None:
                detail = f"check the URL ({response.request.url.path} was not found)"
                return RemoteUnavailable(self.name, self.environment, detail)
            return RemoteNotFound(self.name, self.environment, not_found)
        if status in (408, 504):
            return RemoteTimeout(self.name, self.environment, f"it answered HTTP {status} ({message})")
        if status >= 500:
            return RemoteUnavailable(self.name, self.environment, f"it answered HTTP {status} ({message})")
        return RemoteRejected(self.name, self.environment, message)

    def message(self, response: httpx2.Response) -> str:
        """The remote's own words from an error answer: one line, cut short, credentials removed."""
        try:
            body = response.json()
        except ValueError:
            body = None
        text = ""
        if isinstance(body, dict):
            error = body.get("error")
            if isinstance(error, dict):  # Azure's `{"error": {"code", "message"}}`
                body = error
            text = next((str(body[key]) for key in MESSAGE_KEYS if body.get(key)), "")
        text = " ".join((text or response.text or response.reason_phrase).split())
        return self._scrub(text, response.request)[:MAX_MESSAGE_LENGTH]

    def json(self, response: httpx2.Response) -> Any:
        """The JSON body of a successful answer (`None` when empty)."""
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise self.unreadable("the answer was not JSON") from exc

    def parse(self, parse: Callable[[Any], T], data: Any) -> T:
        """`parse(data)`, with a malformed payload reported as a RemoteError."""
        try:
            return parse(data)
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
            raise self.unreadable(f"unexpected answer ({type(exc).__name__}: {exc})") from exc

    def unreadable(self, detail: str) -> RemoteError:
        return RemoteError(self.name, self.environment, detail)

    def _scrub(self, text: str, request: httpx2.Request | None = None) -> str:
        secrets = list(self.secrets)
        if request is not None:
            for header in CREDENTIAL_HEADERS:
                value = request.headers.get(header)
                if value:
                    secrets += [value, value.partition(" ")[2]]
        for secret in sorted(filter(None, secrets), key=len, reverse=True):
            text = text.replace(secret, "***")
        return text
