"""Client of the read-only Aderant agent (agent/README.md), reached directly or through Azure Relay."""

import asyncio
import logging
import random
import uuid
from collections.abc import Callable, Generator, Sequence
from dataclasses import replace
from datetime import date
from typing import Any, TypeVar
from urllib.parse import quote

import httpx2

from clients.aderant_models import AgentHealth, MatterDetail, MatterStatus, MatterSummary, Page, Party
from clients.concurrency import chunked, gather_bounded
from clients.errors import RemoteAuthError, RemoteError, RemoteUnavailable
from clients.http import parsed_url
from clients.relay import RelaySigner, is_relay_url, relay_resource_uri
from clients.remote import RemoteSystem

__all__ = [
    "AderantAgentClient", "AgentAuth", "AgentHealth", "MatterDetail", "MatterStatus", "MatterSummary", "Page", "Party",
]

T = TypeVar("T")
Params = dict[str, str | int]

SYSTEM = "Aderant"
KEY = "aderant"
STATUS_IDS_PER_CALL = 200
DETAIL_IDS_PER_CALL = 50
CLIENT_CODES_PER_CALL = 50
OPENED_PAGE_SIZE = 100
DATABASE_UNAVAILABLE = "The Aderant database is not available"  # the agent's 503 (agent/app.py)
RETRY_STATUSES = frozenset({502, 503, 504})
RETRY_ERRORS = (httpx2.ConnectError, httpx2.ConnectTimeout, httpx2.RemoteProtocolError)

logger = logging.getLogger(__name__)


class AgentAuth(httpx2.Auth):
    """The agent's API key in `Authorization`, plus the relay's SAS in `ServiceBusAuthorization`."""

    def __init__(self, api_key: str, relay: RelaySigner | None) -> None:
        self._api_key = api_key
        self._relay = relay

    def auth_flow(self, request: httpx2.Request) -> Generator[httpx2.Request, httpx2.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._api_key}"
        if self._relay is not None:
            request.headers["ServiceBusAuthorization"] = self._relay.token()
        yield request


class AderantAgentClient:
    """Reads matters from one environment's agent. Idempotent GETs are retried once."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        environment_name: str,
        http: httpx2.AsyncClient,
        environment_id: int | None = None,
        relay_key_name: str | None = None,
        relay_key: str | None = None,
        timeout: float = 20.0,
        concurrency: int = 4,
        retry_backoff: float = 0.2,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._http = http
        signer = None
        if relay_key_name and relay_key:  # configured: sign for the relay, whatever its host
            signer = RelaySigner(relay_resource_uri(base_url), relay_key_name, relay_key)
        self._via_relay = signer is not None or is_relay_url(base_url)
        self._auth = AgentAuth(api_key, signer)
        self._remote = RemoteSystem(
            SYSTEM, environment_name, secrets=tuple(filter(None, (api_key, relay_key))), key=KEY,
            environment_id=environment_id,
        )
        self._timeout = timeout
        self._concurrency = concurrency
        self._retry_backoff = retry_backoff

    @property
    def concurrency(self) -> int:
        """The most calls this client has in flight at once for one request it splits."""
        return self._concurrency

    async def health(self) -> AgentHealth:
        """`GET /v1/health`, retried once like every read; a 503 is raised."""
        return self._remote.parse(AgentHealth.from_json, await self._get("/v1/health", operation="health"))

    async def check_health(self) -> AgentHealth:
        """`GET /v1/health` once, not retried, for Settings → Test connection.

        A 503 carrying `database` is the agent's own answer (it runs, its database does not), so
        it is returned, not raised.
        """
        try:
            response = await self._http.send(self._request("/v1/health", operation="health"), auth=self._auth)
        except httpx2.TransportError as exc:
            raise self._remote.transport_error(exc) from exc
        if response.status_code == 503 and self._from_agent(response):
            try:
                return AgentHealth.from_json(response.json())
            except (ValueError, KeyError, TypeError):
                pass  # not the agent's health shape: reported as the HTTP failure it is
        if not response.is_success:
            raise self._error(response, None)
        return self._remote.parse(AgentHealth.from_json, self._remote.json(response))

    async def search_matters(self, q: str, *, offset: int = 0, limit: int = 25) -> Page[MatterSummary]:
        data = await self._get("/v1/matters", {"q": q, "offset": offset, "limit": limit}, operation="search_matters")
        return self._page(data, MatterSummary.from_json)

    async def get_matter(self, matter_number: str) -> MatterDetail:
        """The matter with all its parties, following `parties_next_offset` to the end."""
        path = f"/v1/matters/{quote(matter_number, safe='')}"
        not_found = f"Matter {matter_number} was not found"
        data = await self._get(path, operation="get_matter", not_found=not_found)
        matter = self._remote.parse(lambda body: MatterDetail.from_json(body["matter"]), data)
        more_from = data["matter"].get("parties_next_offset")
        if more_from is None:
            return matter
        rest = await self._all_pages(
            f"{path}/parties", {}, Party.from_json, operation="matter_parties", start=more_from, not_found=not_found
        )
        return replace(matter, parties=matter.parties + tuple(rest))

    async def matter_statuses(self, matter_unos: Sequence[int]) -> list[MatterStatus]:
        """Statuses of the given matters; unknown ids are left out."""
        chunks = list(chunked(list(dict.fromkeys(matter_unos)), STATUS_IDS_PER_CALL))
        results = await gather_bounded(chunks, self._statuses, self._concurrency)
        return [status for chunk in results for status in chunk]

    async def matter_details(self, matter_unos: Sequence[int]) -> list[MatterDetail]:
        """Many matters with all their parties: `DETAIL_IDS_PER_CALL` a call (more when they do not
        fit one answer), at most `concurrency` calls at once; a matter with more parties than the
        answer carries has the rest read from its parties route. Unknown ids are left out."""
        chunks = list(chunked(list(dict.fromkeys(matter_unos)), DETAIL_IDS_PER_CALL))
        results = await gather_bounded(chunks, self._details, self._concurrency)
        return [matter for chunk in results for matter in chunk]

    async def _details(self, matter_unos: Sequence[int]) -> list[MatterDetail]:
        answers = await self._all_pages(
            "/v1/matter-details", {"ids": ",".join(map(str, matter_unos))}, lambda item: item, operation="matter_details"
        )
        matters = []
        for data in answers:
            matter = self._remote.parse(MatterDetail.from_json, data)
            more_from = data.get("parties_next_offset")
            if more_from is not None:
                path = f"/v1/matters/{quote(matter.matter_number, safe='')}/parties"
                rest = await self._all_pages(
                    path, {}, Party.from_json, operation="matter_parties", start=more_from,
                    not_found=f"Matter {matter.matter_number} was not found",
                )
                matter = replace(matter, parties=matter.parties + tuple(rest))
            matters.append(matter)
        return matters

    async def matters_opened_since(self, client_codes: Sequence[str], since: date) -> list[MatterSummary]:
        """Matters of these clients opened on or after `since`, by open date then matter number."""

        async def opened(codes: Sequence[str]) -> list[MatterSummary]:
            params: Params = {"clients": ",".join(codes), "since": since.isoformat(), "limit": OPENED_PAGE_SIZE}
            return await self._all_pages("/v1/matters-opened", params, MatterSummary.from_json, operation="matters_opened")

        chunks = list(chunked(list(dict.fromkeys(client_codes)), CLIENT_CODES_PER_CALL))
        results = await gather_bounded(chunks, opened, self._concurrency)
        matters = [matter for chunk in results for matter in chunk]
        return sorted(matters, key=lambda matter: (matter.open_date or date.min, matter.matter_number))

    async def _statuses(self, matter_unos: Sequence[int]) -> list[MatterStatus]:
        data = await self._get(
            "/v1/matter-statuses", {"ids": ",".join(map(str, matter_unos))}, operation="matter_statuses"
        )
        return list(self._page(data, MatterStatus.from_json).items)

    async def _all_pages(
        self,
        path: str,
        params: Params,
        parse: Callable[[Any], T],
        *,
        operation: str,
        start: int = 0,
        not_found: str | None = None,
    ) -> list[T]:
        items: list[T] = []
        offset: int | None = start
        while offset is not None:
            data = await self._get(path, {**params, "offset": offset}, operation=operation, not_found=not_found)
            page = self._page(data, parse)
            if page.next_offset is not None and page.next_offset <= offset:
                raise self._remote.unreadable(f"the agent's paging of {path} did not move forward")
            items.extend(page.items)
            offset = page.next_offset
        return items

    def _page(self, data: Any, parse: Callable[[Any], T]) -> Page[T]:
        return self._remote.parse(
            lambda body: Page(tuple(parse(item) for item in body["items"]), body.get("next_offset")), data
        )

    async def _get(
        self, path: str, params: Params | None = None, *, operation: str, not_found: str | None = None
    ) -> Any:
        """GET a JSON answer. `not_found` describes what a 404 means; without it a 404 is a bad URL."""
        try:
            response = await self._send_with_one_retry(self._request(path, params, operation=operation))
        except httpx2.TransportError as exc:
            raise self._remote.transport_error(exc) from exc
        if not response.is_success:
            raise self._error(response, not_found)
        return self._remote.json(response)

    def _request(self, path: str, params: Params | None = None, *, operation: str) -> httpx2.Request:
        return self._http.build_request(
            "GET",
            parsed_url(self._base_url + path),
            params=params,
            headers={"X-Request-Id": uuid.uuid4().hex},
            timeout=self._timeout,
            extensions=self._remote.labels(operation, database=self._database_answered),
        )

    async def _send_with_one_retry(self, request: httpx2.Request) -> httpx2.Response:
        try:
            response = await self._http.send(request, auth=self._auth)
            if response.status_code not in RETRY_STATUSES:
                return response
            reason = f"HTTP {response.status_code}"
        except RETRY_ERRORS as exc:
            reason = type(exc).__name__
        logger.warning(
            "Retrying Aderant %s (request %s) after %s", request.url.path, request.headers["X-Request-Id"], reason
        )
        await asyncio.sleep(self._retry_backoff * random.uniform(0.5, 1.5))
        return await self._http.send(request, auth=self._auth)

    def _error(self, response: httpx2.Response, not_found: str | None) -> RemoteError:
        status = response.status_code
        environment = self._remote.environment
        from_relay = not self._from_agent(response)
        if from_relay and status in (502, 503):
            return RemoteUnavailable(SYSTEM, environment, "the Aderant agent is offline or not connected to the relay")
        if from_relay and status == 403:
            detail = (
                "the relay refused the SAS rule for this hybrid connection: use a rule with the Send right "
                f"(e.g. proxy-send) and its key ({self._remote.message(response)})"
            )
            return RemoteAuthError(SYSTEM, environment, detail)
        if from_relay and status == 401:
            detail = f"check the relay key name and key ({self._remote.message(response)})"
            return RemoteAuthError(SYSTEM, environment, detail)
        return self._remote.status_error(
            response, auth_hint="check the agent API key", not_found=None if from_relay else not_found
        )

    def _database_answered(self, response: httpx2.Response) -> bool | None:
        """Whether the agent's database answered: every route of the agent reads it, and the agent
        says 503 with its own reason when it does not answer (agent/app.py). None when the call did
        not reach it (the relay answered, or the agent refused the key)."""
        status = response.status_code
        if not self._from_agent(response) or status in (401, 403):
            return None
        if status < 500:
            return True
        try:
            body = response.json()
        except (ValueError, httpx2.ResponseNotRead):
            return None
        said_so = isinstance(body, dict) and (body.get("error") == DATABASE_UNAVAILABLE or "database" in body)
        return False if status == 503 and said_so else None

    def _from_agent(self, response: httpx2.Response) -> bool:
        """Through a relay, only the listener's answers carry `Via` (reference §1.4)."""
        return not self._via_relay or "via" in response.headers
