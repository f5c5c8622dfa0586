"""The application factory: one Starlette app serving pages, the JSON API and (later) jobs."""

from __future__ import annotations

import contextlib
import functools
import gc
from collections.abc import AsyncIterator
from pathlib import Path

import httpx2
import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from embed_auth.clocks import Clocks
from embed_auth.portal_access import TAKES_EFFECT, PortalRefused
from plugin.hop_statistics import HopStatistics
from plugin.settings import Settings
from plugin.time_zone import shown
from plugin.tracing import current_trace_id
from views import (
    api,
    drift_pages,
    history_pages,
    pages,
    settings_connections,
    settings_mapping,
    settings_members,
    settings_organisation,
    settings_roles,
    settings_status,
    settings_teams,
    settings_work_types,
    signin,
    sync_pages,
)
from views import metrics as metrics_route
from views.metrics import ServiceMetrics
from views.rendering import ago, noun, plural
from views.request_context import RequestContext
from views.request_limits import RequestLimits
from views.runtime import running
from views.security import SecurityHeaders

STATIC = Path(__file__).resolve().parent.parent / "static"
TEMPLATES = Path(__file__).resolve().parent / "templates"


@functools.cache
def _freeze_start_up() -> None:
    """What the process's first start-up built (modules, templates, clients, caches) lives as long
    as the process: keep it out of the collector's sweeps, so a full collection during a request
    walks only what requests made (a full sweep of the demo's process took 85 ms). Once per
    process, so what a later app of the same process (a test's) leaves behind is still collected."""
    gc.freeze()


def create_app(
    settings: Settings,
    *,
    transport: httpx2.AsyncBaseTransport | None = None,
    scheduler_tick: float = 30.0,
    clocks: Clocks = Clocks(),
) -> Starlette:
    """The service. ``scheduler_tick`` is how often, in seconds, due schedules are looked for (and
    Settings → Status's alerts checked); ``clocks`` are what sign-in and access decisions read."""
    templates = Jinja2Templates(
        # auto_reload off: the templates ship with the service, so each page need not stat its
        # template files to see whether they changed
        env=jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined, auto_reload=False
        )
    )
    templates.env.filters["ago"] = ago
    templates.env.filters["local_time"] = shown  # {{ moment|local_time(time_zone) }}
    templates.env.filters.update(plural=plural, noun=noun)
    templates.env.globals["request_reference"] = current_trace_id  # quoted on error pages
    templates.env.globals["access_takes_effect"] = TAKES_EFFECT  # how soon Settings' role and member changes count
    metrics = ServiceMetrics()
    hops = HopStatistics()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with running(settings, templates, metrics, hops, transport=transport, scheduler_tick=scheduler_tick, clocks=clocks) as runtime:
            app.state.runtime = runtime
            _freeze_start_up()
            yield

    routes = [
        Route("/healthz", pages.healthz),
        Route("/readyz", pages.readyz),
        *metrics_route.routes(metrics, settings.metrics_token),
        *sync_pages.routes,
        *pages.routes,
        *history_pages.routes,
        *drift_pages.routes,
        *signin.routes,
        *settings_connections.routes,
        *settings_teams.routes,
        *settings_roles.routes,
        *settings_work_types.routes,
        *settings_mapping.routes,
        *settings_members.routes,
        *settings_organisation.routes,
        *settings_status.routes,
        *api.routes,
        Mount("/static", StaticFiles(directory=str(STATIC)), name="static"),
    ]
    return Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[Middleware(SecurityHeaders), Middleware(RequestContext, metrics=metrics), Middleware(RequestLimits)],
        exception_handlers={HTTPException: api.starlette_refusal, PortalRefused: pages.refused_on_recheck},
    )
