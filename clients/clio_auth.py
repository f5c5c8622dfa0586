"""httpx2 auth for Clio Operate: the cached service token, and a user's own token."""

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from dataclasses import dataclass

import httpx2


@dataclass(frozen=True)
class AccessToken:
    value: str
    expires_in: float


class BearerAuth(httpx2.Auth):
    """A token someone else owns (the signed-in user's): sent as is, never refreshed."""

    def __init__(self, token: str) -> None:
        self._token = token

    def auth_flow(self, request: httpx2.Request) -> Generator[httpx2.Request, httpx2.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request


class ServiceTokenAuth(httpx2.Auth):
    """The service's own token: fetched once for all callers, renewed `renew_before` seconds
    before it expires, and renewed (once) when the API answers 401, e.g. after a key rotation.
    """

    def __init__(
        self,
        fetch: Callable[[], Awaitable[AccessToken]],
        *,
        clock: Callable[[], float],
        renew_before: float = 60.0,
    ) -> None:
        self._fetch = fetch
        self._clock = clock
        self._renew_before = renew_before
        self._lock = asyncio.Lock()
        self._token: str | None = None
        self._renew_at = 0.0

    async def async_auth_flow(self, request: httpx2.Request) -> AsyncGenerator[httpx2.Request, httpx2.Response]:
        token = await self._current()
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401:
            self._forget(token)
            request.headers["Authorization"] = f"Bearer {await self._current()}"
            yield request

    async def renew(self) -> None:
        """Fetch a new token now, whatever the cache holds."""
        async with self._lock:
            await self._renew()

    async def _current(self) -> str:
        async with self._lock:
            if self._token is None or self._clock() >= self._renew_at:
                return await self._renew()
            return self._token

    async def _renew(self) -> str:
        fetched = await self._fetch()
        self._token = fetched.value
        self._renew_at = self._clock() + fetched.expires_in - self._renew_before
        return fetched.value

    def _forget(self, token: str) -> None:
        """Drop `token` unless a concurrent call has already replaced it."""
        if self._token == token:
            self._token = None
