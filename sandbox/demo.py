"""The sandbox's side of ``pms-sync demo``: the Aderant database, the agent, the Clio Operate tenants
and their portal pages, Teams and the stand-in Azure Relay, served on ``port + 1`` next to the
service (``views/demo.py`` builds the service and points it here).

With ``relay``, the agent runs as a listener on the stand-in relay (``/relay/aderant``), as
``pms-sync-agent --relay`` does, and the relay's Send rule is what the service signs with.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn
from starlette.applications import Starlette

from agent.app import create_agent_app
from agent.relay.listener import RelayListener, listen_on_relay
from agent.relay.sas import RelayEndpoint
from sandbox.aderant_db import create_aderant_db
from sandbox.app import create_sandbox_app
from sandbox.clio.api_shapes import modeller_type_tree, participant_role
from sandbox.clio.seed import WORK_TYPES, build_state
from sandbox.relay import PREFIX as RELAY_PREFIX
from sandbox.relay import SasRule

HYBRID_CONNECTION = "aderant"
LISTEN_RULE, SEND_RULE = "proxy-listen", "proxy-send"
STATE_FILE = "sandbox-state.json"


@dataclass(frozen=True)
class RelayedAgent:
    """The agent as a listener on the stand-in relay, and what the service's settings point at."""

    agent: Starlette
    listener: RelayListener
    agent_url: str
    send_rule: str
    send_key: str = field(repr=False)


@dataclass(frozen=True)
class DemoSandbox:
    app: Starlette
    url: str
    agent_url: str
    """The agent's URL over plain HTTPS (the sandbox's `/aderant`)."""
    agent_key: str = field(repr=False)
    relayed_agent: RelayedAgent | None = None

    def environments(self) -> list[dict]:
        """The Clio Operate tenants, Production first: name, identity, API and portal URLs, service client."""
        return self.app.state.sandbox.environments()


def public_hosts(host: str) -> tuple[str, str]:
    """Service and sandbox host names: different sites on loopback, as a portal and a service are."""
    if host in ("127.0.0.1", "localhost", "0.0.0.0", "::", "::1"):
        return "localhost", "127.0.0.1"
    return host, host


def build_sandbox(
    *, host: str, port: int, data_dir: Path, service_url: str, widget_dir: Path, sign_in_redirect_uri: str,
    generated_matters: int = 3000, relay: bool = False, https: bool = False,
) -> DemoSandbox:
    """The sandbox served at `host`'s sandbox name on `port`, with a fresh Aderant database in
    `data_dir` and the tenants' contacts and work items kept in its `STATE_FILE`; its portal frames
    the widget `widget_dir` from `service_url`. `https`: its URLs are `https`, for a caller that
    serves it over TLS (see `sandbox.tls`)."""
    _, sandbox_host = public_hosts(host)
    url = f"{'https' if https else 'http'}://{sandbox_host}:{port}"
    aderant_db = data_dir / "aderant.db"
    aderant_db.unlink(missing_ok=True)
    aderant_url = f"sqlite:///{aderant_db.resolve()}"
    create_aderant_db(aderant_url, generated_matters=generated_matters)
    agent_key = secrets.token_urlsafe(24)
    listen_key, send_key = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    app = create_sandbox_app(
        base_url=url,
        aderant_database_url=aderant_url,
        agent_api_key=agent_key,
        service_url=service_url,
        widget_dir=widget_dir,
        relay_rules={
            LISTEN_RULE: SasRule(listen_key, frozenset({"Listen"})),
            SEND_RULE: SasRule(send_key, frozenset({"Send"})),
        },
        sign_in_redirect_uris=[sign_in_redirect_uri],
        state_file=data_dir / STATE_FILE,
    )
    relayed_agent = None
    if relay:
        agent = create_agent_app(database_url=aderant_url, api_keys=[agent_key])
        endpoint = RelayEndpoint.parse(f"ws://{sandbox_host}:{port}{RELAY_PREFIX}/$hc/{HYBRID_CONNECTION}")
        relayed_agent = RelayedAgent(
            agent=agent,
            listener=RelayListener(agent, endpoint, LISTEN_RULE, listen_key),
            agent_url=f"{url}{RELAY_PREFIX}/{HYBRID_CONNECTION}",
            send_rule=SEND_RULE,
            send_key=send_key,
        )
    return DemoSandbox(app, url, f"{url}/aderant", agent_key, relayed_agent)


async def listen_once_served(server: uvicorn.Server, relayed_agent: RelayedAgent) -> None:
    """The agent listening on the stand-in relay, once `server` (the sandbox's) has started."""
    while not server.started:
        await asyncio.sleep(0.05)
    await listen_on_relay(relayed_agent.agent, relayed_agent.listener)


def participant_roles_document() -> str:
    """The sandbox's participant roles of every work type a matter can be created as, as an
    administrator saves them from the modeller (`…/participantRoles/for/{type}`) for Settings →
    Participant Roles."""
    state = build_state()
    roles = {
        t.system_name: [participant_role(r) for r in state.roles_for(t.system_name)] for t in WORK_TYPES if not t.is_abstract
    }
    return json.dumps(roles, indent=2, ensure_ascii=False) + "\n"


def work_type_tree_document() -> str:
    """The sandbox's work type tree as an administrator saves it from the modeller
    (`/api/modeller/sharedoTypes`) for Settings → Work Type Names."""
    return json.dumps(modeller_type_tree(build_state()), indent=2, ensure_ascii=False) + "\n"
