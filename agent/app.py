"""The agent's Starlette application: GET-only JSON routes over the Aderant database."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agent import queries
from agent.auth import ApiKeyMiddleware
from agent.observability import OPEN_PATHS, AgentMetrics, RequestMetrics, healthz, metrics_endpoint
from agent.paging import RESPONSE_BYTE_LIMIT, Envelope, items_envelope, render_page
from agent.params import date_param, int_list_param, int_param, list_param, text_param
from agent.payloads import MatterDetail, Party
from agent.queries import AmbiguousMatterNumber
from agent.responses import error_response, json_response
from agent.schema import AgentSchema, load_schema

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_QUERY_LENGTH = 200
SEARCH_PAGE_SIZE = 25
OPENED_PAGE_SIZE = 100
MAX_PAGE_SIZE = 100
MAX_OFFSET = 1_000_000_000
MAX_STATUS_IDS = 200
MAX_CLIENT_CODES = 50
PARTIES_PER_REQUEST = 200
MAX_DETAIL_IDS = 50
# Parties per matter in a many-matters answer: one matter with them stays far below the response
# budget; a matter with more says where the rest starts (parties_next_offset).
PARTIES_PER_DETAIL = 20
DATABASE_UNAVAILABLE = "The Aderant database is not available"


def create_agent_app(
    *,
    database_url: str,
    api_keys: Sequence[str],
    mapping_path: str | Path | None = None,
    response_budget: int = RESPONSE_BYTE_LIMIT,
    metrics_token: str = "",
) -> Starlette:
    """The agent's app; ``metrics_token`` empty leaves ``GET /metrics`` unserved (404)."""
    keys = [key.strip() for key in api_keys if key.strip()]
    if not keys:
        raise ValueError("at least one API key is required")
    engine = create_engine(database_url, pool_pre_ping=True, hide_parameters=True)
    metrics = AgentMetrics()
    endpoints = AgentEndpoints(engine, load_schema(mapping_path), response_budget, metrics)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = Starlette(
        routes=[
            _get_only("/healthz", healthz),
            _get_only("/metrics", metrics_endpoint(metrics, metrics_token.strip())),
            *endpoints.routes(),
        ],
        middleware=[
            Middleware(RequestMetrics, metrics=metrics),
            Middleware(ApiKeyMiddleware, api_keys=keys, open_paths=OPEN_PATHS),
        ],
        exception_handlers={
            HTTPException: _http_error,
            AmbiguousMatterNumber: _ambiguous_matter_number,
            SQLAlchemyError: _database_error,
        },
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.metrics = metrics
    return app


class AgentEndpoints:
    def __init__(
        self, engine: Engine, schema: AgentSchema, response_budget: int, metrics: AgentMetrics
    ) -> None:
        self._engine = engine
        self._metrics = metrics
        self._schema = schema
        self._budget = response_budget

    def routes(self) -> list[Route]:
        return [
            _get_only("/v1/health", self.health),
            _get_only("/v1/matters", self.search),
            _get_only("/v1/matters/{matter_number}", self.matter),
            _get_only("/v1/matters/{matter_number}/parties", self.parties),
            _get_only("/v1/matter-statuses", self.statuses),
            _get_only("/v1/matter-details", self.details),
            _get_only("/v1/matters-opened", self.matters_opened),
        ]

    async def health(self, request: Request) -> Response:
        try:
            await self._read("health", queries.ping)
        except SQLAlchemyError:
            log.exception("health check: database did not answer")
            return json_response({"status": "error", "database": "unavailable"}, 503)
        return json_response({"status": "ok", "database": "ok"})

    async def search(self, request: Request) -> Response:
        params = request.query_params
        query = text_param(params, "q", max_length=MAX_QUERY_LENGTH)
        offset = _offset(params)
        limit = _limit(params, default=SEARCH_PAGE_SIZE)
        found = await self._read(
            "search",
            lambda conn: queries.search_matters(
                conn, self._schema, query, offset=offset, limit=limit + 1
            )
        )
        return self._page(found, offset=offset, limit=limit, envelope=items_envelope)

    async def matter(self, request: Request) -> Response:
        number = request.path_params["matter_number"]

        def load(conn: Connection) -> tuple[MatterDetail, list[Party]] | None:
            matter = queries.find_matter(conn, self._schema, number)
            if matter is None:
                return None
            parties = queries.list_parties(
                conn, self._schema, matter["matter_uno"], offset=0, limit=PARTIES_PER_REQUEST + 1
            )
            return matter, parties

        loaded = await self._read("matter", load)
        if loaded is None:
            raise _matter_not_found(number)
        matter, parties = loaded

        def envelope(items: list[Party], next_offset: int | None) -> dict[str, object]:
            return {"matter": {**matter, "parties": items, "parties_next_offset": next_offset}}

        return self._page(parties, offset=0, limit=PARTIES_PER_REQUEST, envelope=envelope)

    async def parties(self, request: Request) -> Response:
        number = request.path_params["matter_number"]
        offset = _offset(request.query_params)

        def load(conn: Connection) -> list[Party] | None:
            matter_uno = queries.find_matter_uno(conn, self._schema, number)
            if matter_uno is None:
                return None
            return queries.list_parties(
                conn, self._schema, matter_uno, offset=offset, limit=PARTIES_PER_REQUEST + 1
            )

        parties = await self._read("parties", load)
        if parties is None:
            raise _matter_not_found(number)
        return self._page(
            parties, offset=offset, limit=PARTIES_PER_REQUEST, envelope=items_envelope
        )

    async def statuses(self, request: Request) -> Response:
        ids = int_list_param(request.query_params, "ids", max_items=MAX_STATUS_IDS)
        items = await self._read(
            "statuses", lambda conn: queries.matter_statuses(conn, self._schema, ids)
        )
        return json_response({"items": items})

    async def details(self, request: Request) -> Response:
        ids = int_list_param(request.query_params, "ids", max_items=MAX_DETAIL_IDS)
        offset = _offset(request.query_params)
        found = await self._read(
            "details",
            lambda conn: queries.matter_details(conn, self._schema, ids, parties_per_matter=PARTIES_PER_DETAIL + 1),
        )
        matters = [
            {
                **matter,
                "parties": parties[:PARTIES_PER_DETAIL],
                "parties_next_offset": PARTIES_PER_DETAIL if len(parties) > PARTIES_PER_DETAIL else None,
            }
            for matter, parties in found
        ]
        return self._page(matters[offset:], offset=offset, limit=MAX_DETAIL_IDS, envelope=items_envelope)

    async def matters_opened(self, request: Request) -> Response:
        params = request.query_params
        client_codes = list_param(params, "clients", max_items=MAX_CLIENT_CODES)
        since = date_param(params, "since")
        offset = _offset(params)
        limit = _limit(params, default=OPENED_PAGE_SIZE)
        found = await self._read(
            "matters_opened",
            lambda conn: queries.matters_opened(
                conn, self._schema, client_codes, since, offset=offset, limit=limit + 1
            )
        )
        return self._page(found, offset=offset, limit=limit, envelope=items_envelope)

    async def _read(self, operation: str, work: Callable[[Connection], T]) -> T:
        """Run ``work`` on a connection in a worker thread, timed under ``operation``."""

        def run() -> T:
            with self._engine.connect() as conn:
                return work(conn)

        return await run_in_threadpool(self._metrics.timed_query, operation, run)

    def _page(
        self, candidates: Sequence[T], *, offset: int, limit: int, envelope: Envelope[T]
    ) -> Response:
        return json_response(
            render_page(
                candidates, offset=offset, limit=limit, envelope=envelope, budget=self._budget
            )
        )


def _get_only(path: str, endpoint: Callable[[Request], Awaitable[Response]]) -> Route:
    route = Route(path, endpoint, methods=["GET"])
    route.methods = {"GET"}  # Starlette adds HEAD to GET routes; the contract answers GET only
    return route


def _offset(params: QueryParams) -> int:
    return int_param(params, "offset", default=0, minimum=0, maximum=MAX_OFFSET)


def _limit(params: QueryParams, *, default: int) -> int:
    return int_param(params, "limit", default=default, minimum=1, maximum=MAX_PAGE_SIZE)


def _matter_not_found(number: str) -> HTTPException:
    return HTTPException(status_code=404, detail=f"Matter {number} was not found")


async def _http_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, HTTPException):  # registered for HTTPException only
        raise exc
    return error_response(exc.status_code, exc.detail, exc.headers)


async def _ambiguous_matter_number(request: Request, exc: Exception) -> Response:
    return error_response(
        409,
        f"Matter number {exc} matches more than one matter; map matter_number_column to a "
        "column that is unique across the firm, such as CLNT_MATT_CODE",
    )


async def _database_error(request: Request, exc: Exception) -> Response:
    log.error("database error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(503, DATABASE_UNAVAILABLE)
