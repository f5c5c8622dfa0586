"""The sandbox: PMS Sync's outside world behind one base URL (see sandbox/README.md).

/aderant/...              the real PMS Sync agent over the sandbox Aderant database
/{tenant}/identity/...    identity server of tenant `production` or `uat`
/{tenant}/api/...         Clio Operate API of that tenant
/{tenant}/portal/         a Clio Operate portal page hosting the PMS Sync widget
/{tenant}/sharedo/{id}    a work item's link, shown by that portal
/relay/...                a stand-in Azure Relay namespace (sandbox/relay.py)
/_sandbox/...             control: faults, call log, reset, Aderant changes
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from agent.app import create_agent_app
from sandbox.aderant_changes import AderantChanges, BadChange
from sandbox.clio.api import TenantApi
from sandbox.clio.identity import IdentityServer
from sandbox.clio.saved_state import SaveSchedule, StateFile
from sandbox.clio.seed import CLIENT_ID, CLIENT_SECRET
from sandbox.clio.tenant import Tenant
from sandbox.clio.tokens import SigningKeys, new_signing_key
from sandbox.faults import CONTROL_PREFIX, CallLog, FaultMiddleware, Faults
from sandbox.portal import Portal, contact_link, work_item_link
from sandbox.relay import PREFIX as RELAY_PREFIX
from sandbox.relay import RelayStandIn, SasRule
from sandbox.teams import TeamsInbox

TENANTS = {"production": "Production", "uat": "UAT"}
SAVE_INTERVAL = 0.25  # seconds between checks for changes to save, with a state file
SAVE_AT_LATEST = 20  # checks: changes are saved within 5 s even while calls keep coming


class Sandbox:
    """What tests and benchmarks drive in-process: `app.state.sandbox`.

    With a `state_file`, the tenants' contacts and work items are loaded from it now and saved to it
    while the app runs (see `create_sandbox_app`); without one they live in memory only.
    """

    def __init__(
        self,
        base_url: str,
        relay_rules: Mapping[str, SasRule] | None = None,
        *,
        sign_in_redirect_uris: Sequence[str] = (),
        state_file: Path | None = None,
        aderant_database_url: str | None = None,
        signing_keys: SigningKeys = new_signing_key,
    ) -> None:
        self.tenants = {
            name: Tenant(name, display_name, base_url, sign_in_redirect_uris, signing_keys)
            for name, display_name in TENANTS.items()
        }
        self.faults = Faults()
        self.calls = CallLog()
        self.teams = TeamsInbox()
        self.relay = RelayStandIn(rules=relay_rules or {})
        # Aderant's data, changed as the firm's staff would (None: no Aderant database to change).
        self.aderant = AderantChanges(aderant_database_url) if aderant_database_url else None
        self.state_file = StateFile(state_file, self.tenants) if state_file is not None else None
        if self.state_file is not None:
            self.state_file.load()

    async def keep_saved(self) -> None:
        """Save changes when the tenants are quiet (`SaveSchedule`), checking every `SAVE_INTERVAL`
        seconds until cancelled, then once more."""
        if self.state_file is None:
            return
        schedule = SaveSchedule(self.state_file, most_checks=SAVE_AT_LATEST)
        try:
            while True:
                await asyncio.sleep(SAVE_INTERVAL)
                if schedule.due():
                    await self.state_file.save_changes()
        finally:
            self.state_file.save_on_shutdown()

    def reset(self) -> None:
        """Rebuild every tenant's data from the seed (faults and the call log are left alone)."""
        for tenant in self.tenants.values():
            tenant.reset()

    def environments(self) -> list[dict[str, str]]:
        """The Clio Operate environments a PMS Sync organisation would be configured with."""
        return [
            {
                "name": tenant.display_name,
                "tenant": tenant.name,
                "identity_url": tenant.identity_url,
                "api_url": tenant.api_url,
                "portal_url": tenant.portal_url,
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
            }
            for tenant in self.tenants.values()
        ]


class ControlEndpoints:
    """`/_sandbox/...`: the HTTP face of `Sandbox` for out-of-process drivers."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    def routes(self) -> list[Route]:
        return [
            Route("/faults", self.list_faults, methods=["GET"]),
            Route("/faults", self.add_fault, methods=["POST"]),
            Route("/faults", self.clear_faults, methods=["DELETE"]),
            Route("/calls", self.list_calls, methods=["GET"]),
            Route("/calls", self.clear_calls, methods=["DELETE"]),
            Route("/reset", self.reset, methods=["POST"]),
            Route("/{tenant}/work-items/{id}", self.delete_work_item, methods=["DELETE"]),
            Route("/aderant/matters/{matter_number}", self.change_matter, methods=["POST"]),
            *self.sandbox.teams.control_routes(),
            *self.sandbox.relay.control_routes(),
        ]

    async def list_faults(self, request: Request) -> Response:
        return JSONResponse({"rules": [rule.as_json() for rule in self.sandbox.faults.rules]})

    async def add_fault(self, request: Request) -> Response:
        try:
            rule = self.sandbox.faults.add(**json.loads(await request.body()))
        except (TypeError, ValueError) as exc:
            return JSONResponse({"error": f"Bad fault rule: {exc}"}, status_code=400)
        return JSONResponse(rule.as_json(), status_code=201)

    async def clear_faults(self, request: Request) -> Response:
        self.sandbox.faults.clear()
        return Response(status_code=204)

    async def list_calls(self, request: Request) -> Response:
        return JSONResponse({"calls": self.sandbox.calls.as_json()})

    async def clear_calls(self, request: Request) -> Response:
        self.sandbox.calls.clear()
        return Response(status_code=204)

    async def delete_work_item(self, request: Request) -> Response:
        """Delete a work item as a portal user would (no public API route for it is known)."""
        tenant = self.sandbox.tenants.get(request.path_params["tenant"])
        if tenant is None:
            return JSONResponse({"error": "No such tenant"}, status_code=404)
        try:
            tenant.state.delete_work_item(request.path_params["id"])
        except LookupError as exc:
            return JSONResponse({"error": str(exc)}, status_code=404)
        return Response(status_code=204)

    async def change_matter(self, request: Request) -> Response:
        """Change a matter in Aderant (sandbox/aderant_changes.py): `{"changed": {field: value}}`."""
        if self.sandbox.aderant is None:
            return JSONResponse({"error": "This sandbox has no Aderant database"}, status_code=404)
        try:
            changes = json.loads(await request.body())
            if not isinstance(changes, dict):
                raise BadChange("The body must be a JSON object of the changes.")
            changed = self.sandbox.aderant.change_matter(request.path_params["matter_number"], changes)
        except LookupError as exc:
            return JSONResponse({"error": str(exc)}, status_code=404)
        except ValueError as exc:  # BadChange, or a body that is not JSON
            return JSONResponse({"error": f"Bad change: {exc}"}, status_code=400)
        return JSONResponse({"changed": changed})

    async def reset(self, request: Request) -> Response:
        self.sandbox.reset()
        return Response(status_code=204)


def create_sandbox_app(
    *,
    base_url: str,
    aderant_database_url: str,
    agent_api_key: str,
    service_url: str,
    widget_dir: Path | None = None,
    relay_rules: Mapping[str, SasRule] | None = None,
    sign_in_redirect_uris: Sequence[str] = (),
    state_file: Path | None = None,
    signing_keys: SigningKeys = new_signing_key,
) -> Starlette:
    """The whole sandbox as one ASGI app served at `base_url`.

    `service_url` is the PMS Sync service the portal may frame; `widget_dir` is a folder built by
    `manifest.build.build_widget` (without it the portal says the widget is not installed).
    `relay_rules` are the SAS rules of the stand-in relay's hybrid connection `aderant` (none: every
    token is refused). `sign_in_redirect_uris` are where the identity servers may send a person back
    to PMS Sync's standalone sign-in (client `pms-sync-sign-in`). `state_file` keeps the tenants'
    contacts and work items across restarts (without it they live in memory only). `signing_keys`
    gives each tenant's identity server its RSA key (by default a new one on every start; tests
    reuse one per identity server, as generating a 2048-bit key takes tens of milliseconds).
    """
    sandbox = Sandbox(
        base_url, relay_rules, sign_in_redirect_uris=sign_in_redirect_uris, state_file=state_file,
        aderant_database_url=aderant_database_url, signing_keys=signing_keys,
    )
    agent_app = create_agent_app(database_url=aderant_database_url, api_keys=[agent_api_key])
    routes = [
        Mount("/aderant", app=agent_app),
        Mount(RELAY_PREFIX, routes=sandbox.relay.routes()),
        *sandbox.teams.routes(),
        Mount(CONTROL_PREFIX, routes=ControlEndpoints(sandbox).routes()),
        *(
            Mount(
                f"/{tenant.name}",
                routes=[
                    Mount("/identity", app=IdentityServer(tenant).app()),
                    Mount("/api", app=TenantApi(tenant).app()),
                    Mount(
                        "/portal", app=Portal(tenant, service_url=service_url, widget_dir=widget_dir).app()
                    ),
                    work_item_link(tenant),
                    contact_link(tenant),
                ],
            )
            for tenant in sandbox.tenants.values()
        ),
    ]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Mounted apps get no lifespan events of their own; run the agent's here.
        async with agent_app.router.lifespan_context(agent_app):
            saving = asyncio.create_task(sandbox.keep_saved())
            try:
                yield
            finally:
                saving.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await saving
                if sandbox.aderant is not None:
                    sandbox.aderant.dispose()

    app = Starlette(
        routes=routes,
        middleware=[Middleware(FaultMiddleware, faults=sandbox.faults, calls=sandbox.calls)],
        lifespan=lifespan,
    )
    app.state.sandbox = sandbox
    return app
