"""``pms-sync demo``: the service next to the sandbox (``sandbox/demo.py``), in one process, on
SQLite in a data folder.

The service listens on ``port`` as ``http://localhost:port``; the sandbox (Aderant agent, Clio
Operate tenants and their portal pages) on ``port + 1`` as ``http://127.0.0.1:port+1``, so the
portal frames the widget from another site, as in production.

With ``relay``, Production reaches its Aderant agent through the sandbox's stand-in Azure Relay and
the service signs its requests with the relay's Send rule.

This is the one place the service is wired to the sandbox: the sandbox imports nothing of ours.
"""

from __future__ import annotations

import asyncio
import json
import socket
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import httpx2
import uvicorn
from starlette.applications import Starlette

from manifest.build import build_widget
from plugin.connections_admin import set_connection
from plugin.settings import OidcProviderSettings, Settings
from plugin.setup import create_organisation, open_store, upgrade_database
from plugin.work_type_names import read_type_tree
from plugin.work_type_roles import read_roles
from sandbox.clio.seed import (
    ADMIN_USERNAME,
    IMPORTED_WORK_ITEM_ID,
    SIGN_IN_CLIENT_ID,
    SIGN_IN_CLIENT_SECRET,
    STAFF_USERNAME,
    TEAM_COMMERCIAL_SYDNEY_ID,
    TEAM_LITIGATION_SYDNEY_ID,
    UAT_ONLY_USERNAME,
    VISITOR_USERNAME,
)
from sandbox.demo import (
    STATE_FILE,
    RelayedAgent,
    build_sandbox,
    listen_once_served,
    participant_roles_document,
    public_hosts,
    work_type_tree_document,
)
from store.members import ADMINISTRATOR
from store.repository import Store
from store.schedules import ScheduleSettings
from store.secrets import SecretBox
from views.app import create_app
from views.server import server_config

ORGANISATION = "Harbour Legal (demo)"
ADMIN_ROLES = ("system-administrator",)
# Production's staff roles: admin and staff hold matter-handler, the visitor does not.
STAFF_ROLES = ("matter-handler",)
ACCESS_CONTACT = "Ada Admin (admin@sandbox.test)"  # named in the refusal a portal user without a role sees
ROLES_FILE = "participant-roles.json"
WORK_TYPES_FILE = "work-types.json"
DEMO_ACTOR = "demo set-up"  # the audit events' actor of what the demo sets up
# The standalone sign-in ("Sign in with Alterspective") goes to Production's identity server, which
# stands in for the firm's identity provider; admin@sandbox.test is a member, so it may sign in.
SIGN_IN_PROVIDER = "alterspective"


@dataclass(frozen=True)
class Demo:
    service: Starlette
    sandbox: Starlette
    info: dict
    relayed_agent: RelayedAgent | None = None


def build_demo(
    *, host: str, port: int, data_dir: Path, generated_matters: int = 3000, relay: bool = False,
    transport: httpx2.AsyncBaseTransport | None = None, sandbox_certificate: Path | None = None,
) -> Demo:
    """``transport`` carries the service's remote calls (a benchmark's, to time them); by default httpx2's own.
    With ``sandbox_certificate`` (a PEM file, see ``sandbox.tls``) the sandbox's URLs are ``https``,
    for a caller that serves it over TLS with that certificate, and the service trusts it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    service_host, _ = public_hosts(host)
    service_url = f"http://{service_host}:{port}"

    key_file = data_dir / "secret.key"
    if not key_file.exists():
        key_file.write_text(SecretBox.generate_key())
        key_file.chmod(0o600)
    sandbox = build_sandbox(
        host=host, port=port + 1, data_dir=data_dir, service_url=service_url,
        widget_dir=build_widget(service_url, data_dir / "widget"),
        sign_in_redirect_uri=f"{service_url}/sign-in/{SIGN_IN_PROVIDER}/callback",
        generated_matters=generated_matters, relay=relay, https=sandbox_certificate is not None,
    )
    environments = sandbox.environments()
    production = environments[0]
    settings = replace(
        Settings.from_env(),  # timeouts, log level and the like may still be set from the environment
        database_url=f"sqlite:///{(data_dir / 'pms-sync.db').resolve()}",
        secret_keys=key_file.read_text().strip(),
        public_url=service_url,
        cookie_secure=True,
        portal_url=production["portal_url"],
        oidc_providers=(
            OidcProviderSettings(SIGN_IN_PROVIDER, production["identity_url"], SIGN_IN_CLIENT_ID, SIGN_IN_CLIENT_SECRET),
        ),
    )
    if sandbox_certificate is not None:
        settings = replace(settings, ca_bundle=str(sandbox_certificate))
    upgrade_database(settings)
    store = open_store(settings)
    organisation = configure_sandbox_organisation(
        store, environments, agent_url=sandbox.agent_url, agent_key=sandbox.agent_key, relayed_agent=sandbox.relayed_agent
    )
    _schedule_production(store, organisation, teams_webhook=f"{sandbox.url}/teams/pms-sync")
    _admin_may_sign_in_outside_the_portal(store, organisation)
    store.close()

    info: dict[str, object] = {
        "service_url": service_url,
        "sandbox_url": sandbox.url,
        "environments": [
            {k: e[k] for k in ("name", "identity_url", "api_url", "portal_url", "client_id", "client_secret")}
            for e in environments
        ],
        "users": [
            {"username": ADMIN_USERNAME, "role": "administrator"},
            {"username": STAFF_USERNAME, "role": "staff"},
            {"username": UAT_ONLY_USERNAME, "role": "uat-only administrator"},
            {"username": VISITOR_USERNAME, "role": "none"},
        ],
    }
    if sandbox.relayed_agent is not None:
        info["relay"] = {
            "environment": environments[0]["name"],
            "agent_url": sandbox.relayed_agent.agent_url,
            "listen_url": sandbox.relayed_agent.listener.endpoint.listen_url,
        }
    (data_dir / "sandbox.json").write_text(json.dumps(info, indent=2))
    (data_dir / ROLES_FILE).write_text(participant_roles_document())
    (data_dir / WORK_TYPES_FILE).write_text(work_type_tree_document())
    return Demo(
        service=create_app(settings, transport=transport), sandbox=sandbox.app, info=info, relayed_agent=sandbox.relayed_agent
    )


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
    store.schedules.save(settings, actor=DEMO_ACTOR, teams_webhook=teams_webhook)


def _admin_may_sign_in_outside_the_portal(store: Store, organisation: int) -> None:
    """admin@sandbox.test as an administrator member, so "Sign in with Alterspective" signs them in;
    added when they are no member (a role changed on the Members page is kept)."""
    members = store.members
    if not any(m.organisation_id == organisation for m in members.memberships(ADMIN_USERNAME)):
        members.add(organisation, ADMIN_USERNAME, "Ada Admin", ADMINISTRATOR, actor=DEMO_ACTOR)


def configure_sandbox_organisation(
    store: Store,
    environments: list[dict],
    *,
    agent_url: str,
    agent_key: str,
    relayed_agent: RelayedAgent | None = None,
) -> int:
    """Point the demo organisation at the sandbox (idempotent, so history survives restarts).
    With `relayed_agent`, Production reaches the agent through the stand-in relay."""
    organisation = create_organisation(store, ORGANISATION, ADMIN_ROLES, access_contact=ACCESS_CONTACT)
    for index, env in enumerate(environments):
        portal = urlsplit(env["portal_url"])
        relayed = relayed_agent if index == 0 else None
        env_id = set_connection(
            store,
            organisation,
            env["name"],
            DEMO_ACTOR,
            {
                "identity_url": env["identity_url"],
                "api_url": env["api_url"],
                "client_id": env["client_id"],
                "client_secret": env["client_secret"],
                "agent_url": relayed.agent_url if relayed else agent_url,
                "agent_key": agent_key,
                "relay_key_name": relayed.send_rule if relayed else "",
                "relay_key": relayed.send_key if relayed else "",
                "portal_origins": f"{portal.scheme}://{portal.netloc}",
                "portal_page_url": env["portal_url"],  # Teams messages link to the widget's panels there
                **({"import_writes_enabled": "on"} if index == 0 else {}),  # Production imports; UAT shows the write gate
                "staff_roles": "\n".join(STAFF_ROLES) if index == 0 else "",  # UAT: every portal user is staff
            },
            make_default=index == 0,
        )
        if index == 0 and not store.imported_matters(organisation, env_id, ["82003"]):
            store.record_import(
                organisation, env_id, matter_uno="82003", matter_number="82003",
                work_item_id=IMPORTED_WORK_ITEM_ID, imported_by="earlier import",
            )
        roles = store.work_type_roles
        if not roles.all(organisation, env_id):
            loaded = read_roles(participant_roles_document(), "")
            roles.load(organisation, env_id, loaded, source=ROLES_FILE, actor=DEMO_ACTOR, audited=False)
        names = store.work_type_names
        if names.loaded(organisation, env_id) is None:
            types = read_type_tree(work_type_tree_document())
            names.load(organisation, env_id, types, source=WORK_TYPES_FILE, actor=DEMO_ACTOR, audited=False)
        if not store.teams.all(organisation, env_id):
            store.teams.add(organisation, env_id, work_type="matter-litigation", team_id=TEAM_LITIGATION_SYDNEY_ID,
                            team_name="Litigation – Sydney", role="reader", actor=DEMO_ACTOR, audited=False)
            store.teams.add(organisation, env_id, work_type="matter-commercial", team_id=TEAM_COMMERCIAL_SYDNEY_ID,
                            team_name="Commercial – Sydney", role="reader", actor=DEMO_ACTOR, audited=False)
    return organisation


def configure_database(database_url: str, environments: list[dict], *, agent_url: str, agent_key: str) -> str:
    """The demo organisation in the (upgraded) database at `database_url`, reaching the sandbox's
    `environments` and its agent at `agent_url`, for `pms-sync serve` processes run over it; answers
    the secret key they must run with."""
    key = SecretBox.generate_key()
    store = open_store(Settings(database_url=database_url, secret_keys=key))
    try:
        configure_sandbox_organisation(store, environments, agent_url=agent_url, agent_key=agent_key)
    finally:
        store.close()
    return key


async def run_demo(
    *, host: str, port: int, data_dir: Path, relay: bool = False, sockets: tuple[socket.socket, socket.socket] | None = None
) -> None:
    """With ``sockets`` (bound to ports P and P + 1), the service and the sandbox serve on them; ``port`` is then P."""
    if sockets is not None:
        port = sockets[0].getsockname()[1]
        if sockets[1].getsockname()[1] != port + 1:
            raise SystemExit(f"The sandbox's socket must be on port {port + 1}, the service's plus one: every sandbox address is made from it.")
    demo = build_demo(host=host, port=port, data_dir=data_dir, relay=relay)
    servers = [
        uvicorn.Server(server_config(demo.service, host=host, port=port, log_level="warning")),
        uvicorn.Server(server_config(demo.sandbox, host=host, port=port + 1, log_level="warning")),
    ]
    running = [server.serve(sockets=[sock] if sock else None) for server, sock in zip(servers, sockets or (None, None), strict=True)]
    if demo.relayed_agent is not None:
        running.append(listen_once_served(servers[1], demo.relayed_agent))
    _print_welcome(demo.info, data_dir)
    await asyncio.gather(*running)


def _print_welcome(info: dict, data_dir: Path) -> None:
    lines = [
        "",
        "PMS Sync demo is running.",
        f"  Open the Clio Operate portal (Production): {info['environments'][0]['portal_url']}",
        f"  Open the Clio Operate portal (UAT):        {info['environments'][1]['portal_url']}",
        f"  PMS Sync service:                          {info['service_url']}",
        "    (opened directly, it links to the portal and offers \"Sign in with Alterspective\", which",
        f"    signs in at the sandbox's Production identity server: {ADMIN_USERNAME} is a member)",
        "  Demo users (pick one on the portal's sign-in page):",
        *(f"    {u['username']:<22} {u['role']}" for u in info["users"]),
        f"  Clio Operate's contacts and work items are kept in {(data_dir / STATE_FILE).resolve()}",
        f"  Sandbox service client: {info['environments'][0]['client_id']} / {info['environments'][0]['client_secret']}",
        f"  Details for scripts: {(data_dir / 'sandbox.json').resolve()}",
        f"  Teams messages of the schedule: {info['sandbox_url']}/_sandbox/teams",
        *(
            [f"  {info['relay']['environment']} reaches Aderant through the stand-in Azure Relay: "
             f"{info['relay']['agent_url']} (what it relayed: {info['sandbox_url']}/_sandbox/relay)"]
            if "relay" in info else []
        ),
        "  Try searching for 82001, CL080001 or Mary Citizen. Stop with Ctrl+C.",
        "",
    ]
    print("\n".join(lines), flush=True)
