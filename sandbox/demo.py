"""``pms-sync demo``: the service and the sandbox in one process, on SQLite in a data folder.

The service listens on ``port`` as ``http://localhost:port``; the sandbox (Aderant agent, Clio
Operate tenants and their portal pages) on ``port + 1`` as ``http://127.0.0.1:port+1``, so the
portal frames the widget from another site, as in production.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import uvicorn
from starlette.applications import Starlette

from manifest.build import build_widget
from plugin.settings import Settings
from plugin.setup import create_organisation, open_store, upgrade_database
from sandbox.aderant_db import create_aderant_db
from sandbox.app import create_sandbox_app
from sandbox.clio.seed import (
    ADMIN_USERNAME,
    IMPORTED_WORK_ITEM_ID,
    STAFF_USERNAME,
    TEAM_COMMERCIAL_SYDNEY_ID,
    TEAM_LITIGATION_SYDNEY_ID,
)
from store.repository import Store
from store.schedules import ScheduleSettings
from store.secrets import SecretBox
from views.app import create_app
from views.server import server_config

ORGANISATION = "Harbour Legal (demo)"
ADMIN_ROLES = ("system-administrator",)


@dataclass(frozen=True)
class Demo:
    service: Starlette
    sandbox: Starlette
    info: dict


def public_host(host: str) -> tuple[str, str]:
    """Service and sandbox host names: different sites on loopback, as a portal and a service are."""
    if host in ("127.0.0.1", "localhost", "0.0.0.0", "::", "::1"):
        return "localhost", "127.0.0.1"
    return host, host


def build_demo(*, host: str, port: int, data_dir: Path, generated_matters: int = 3000) -> Demo:
    data_dir.mkdir(parents=True, exist_ok=True)
    service_host, sandbox_host = public_host(host)
    service_url = f"http://{service_host}:{port}"
    sandbox_url = f"http://{sandbox_host}:{port + 1}"

    key_file = data_dir / "secret.key"
    if not key_file.exists():
        key_file.write_text(SecretBox.generate_key())
        key_file.chmod(0o600)
    settings = replace(
        Settings.from_env(),  # timeouts, log level and the like may still be set from the environment
        database_url=f"sqlite:///{(data_dir / 'pms-sync.db').resolve()}",
        secret_keys=key_file.read_text().strip(),
        public_url=service_url,
        cookie_secure=True,
    )
    aderant_db = data_dir / "aderant.db"
    aderant_db.unlink(missing_ok=True)
    create_aderant_db(f"sqlite:///{aderant_db.resolve()}", generated_matters=generated_matters)
    agent_key = secrets.token_urlsafe(24)
    widget_dir = build_widget(service_url, data_dir / "widget")
    sandbox = create_sandbox_app(
        base_url=sandbox_url,
        aderant_database_url=f"sqlite:///{aderant_db.resolve()}",
        agent_api_key=agent_key,
        service_url=service_url,
        widget_dir=widget_dir,
    )
    environments = sandbox.state.sandbox.environments()
    upgrade_database(settings)
    store = open_store(settings)
    organisation = configure_sandbox_organisation(
        store, environments, agent_url=f"{sandbox_url}/aderant", agent_key=agent_key
    )
    _schedule_production(store, organisation, teams_webhook=f"{sandbox_url}/teams/pms-sync")
    store.engine.dispose()

    info = {
        "service_url": service_url,
        "sandbox_url": sandbox_url,
        "environments": [
            {k: e[k] for k in ("name", "identity_url", "api_url", "portal_url", "client_id", "client_secret")}
            for e in environments
        ],
        "users": [{"username": ADMIN_USERNAME, "role": "administrator"}, {"username": STAFF_USERNAME, "role": "staff"}],
    }
    (data_dir / "sandbox.json").write_text(json.dumps(info, indent=2))
    return Demo(service=create_app(settings), sandbox=sandbox, info=info)


def _schedule_production(store: Store, organisation: int, *, teams_webhook: str) -> None:
    """Production's schedule, on the first start: hourly, auto-import for CL080001, and the
    sandbox's stand-in Teams channel (its messages: GET /_sandbox/teams)."""
    production = next(e for e in store.environments(organisation) if e.name == "Production")
    if store.schedules.schedule(organisation, production.id).teams_webhook:
        return
    settings = ScheduleSettings(
        organisation, production.id, enabled=True, interval_minutes=60,
        auto_import_clients=("CL080001",), auto_import_since=date(2026, 1, 1),
    )
    store.schedules.save(settings, actor="demo set-up", teams_webhook=teams_webhook)


def configure_sandbox_organisation(store: Store, environments: list[dict], *, agent_url: str, agent_key: str) -> int:
    """Point the demo organisation at the sandbox (idempotent, so history survives restarts)."""
    organisation = create_organisation(store, ORGANISATION, ADMIN_ROLES)
    for index, env in enumerate(environments):
        portal = urlsplit(env["portal_url"])
        env_id = store.save_environment(
            organisation,
            env["name"],
            identity_url=env["identity_url"],
            api_url=env["api_url"],
            client_id=env["client_id"],
            client_secret=env["client_secret"],
            agent_url=agent_url,
            agent_key=agent_key,
            portal_origins=[f"{portal.scheme}://{portal.netloc}"],
            is_default=index == 0,
            import_writes_enabled=index == 0,  # Production imports; UAT shows the write gate
        )
        if index == 0 and not store.imported_matters(organisation, env_id, ["82003"]):
            store.record_import(
                organisation, env_id, matter_uno="82003", matter_number="82003",
                work_item_id=IMPORTED_WORK_ITEM_ID, imported_by="earlier import",
            )
        if not store.default_teams(organisation, env_id, "matter-litigation"):
            store.add_default_team(organisation, env_id, work_type="matter-litigation",
                                   team_id=TEAM_LITIGATION_SYDNEY_ID, team_name="Litigation – Sydney", role="reader")
            store.add_default_team(organisation, env_id, work_type="matter-commercial",
                                   team_id=TEAM_COMMERCIAL_SYDNEY_ID, team_name="Commercial – Sydney", role="reader")
    return organisation


async def run_demo(*, host: str, port: int, data_dir: Path) -> None:
    demo = build_demo(host=host, port=port, data_dir=data_dir)
    servers = [
        uvicorn.Server(server_config(demo.service, host=host, port=port, log_level="warning")),
        uvicorn.Server(uvicorn.Config(demo.sandbox, host=host, port=port + 1, log_level="warning")),
    ]
    _print_welcome(demo.info, data_dir)
    await asyncio.gather(*(server.serve() for server in servers))


def _print_welcome(info: dict, data_dir: Path) -> None:
    lines = [
        "",
        "PMS Sync demo is running.",
        f"  Open the Clio Operate portal (Production): {info['environments'][0]['portal_url']}",
        f"  Open the Clio Operate portal (UAT):        {info['environments'][1]['portal_url']}",
        f"  PMS Sync service:                          {info['service_url']}",
        "  Demo users (pick one on the portal's sign-in page):",
        *(f"    {u['username']:<22} {u['role']}" for u in info["users"]),
        f"  Sandbox service client: {info['environments'][0]['client_id']} / {info['environments'][0]['client_secret']}",
        f"  Details for scripts: {(data_dir / 'sandbox.json').resolve()}",
        f"  Teams messages of the schedule: {info['sandbox_url']}/_sandbox/teams",
        "  Try searching for 82001, CL080001 or Mary Citizen. Stop with Ctrl+C.",
        "",
    ]
    print("\n".join(lines), flush=True)
