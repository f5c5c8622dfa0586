"""``pms-sync-agent``: run the agent under uvicorn, or as an Azure Relay listener, configured from the environment."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
from collections.abc import Sequence
from urllib.parse import quote_plus

import uvicorn
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from agent.app import create_agent_app
from agent.logs import LOG_DIR, configure_logging, log_dir_from_environment
from agent.observability import METRICS_TOKEN
from agent.relay.listener import RelayEndpointMissing, RelayListener, listen_on_relay
from agent.relay.sas import RelayEndpoint
from agent.schema import MappingError

DEFAULT_PORT = 4102
RELAY_KEY_NAME = "PMS_AGENT_RELAY_KEY_NAME"
RELAY_KEY = "PMS_AGENT_RELAY_KEY"
log = logging.getLogger(__name__)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="pms-sync-agent",
        description="Read-only HTTP agent over an Aderant Expert database. Configured by "
        "PMS_AGENT_DATABASE_URL, PMS_AGENT_API_KEYS (comma-separated) and PMS_AGENT_MAPPING; "
        f"{METRICS_TOKEN} enables GET /metrics and {LOG_DIR} sets the log directory; behind "
        f"an Azure Relay hybrid connection also by {RELAY_KEY_NAME} and {RELAY_KEY} (a rule with the Listen right).",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument(
        "--relay",
        metavar="wss://NAMESPACE/PATH",
        help="listen on this Azure Relay hybrid connection instead of a local port "
        "(e.g. wss://firm-relay.servicebus.windows.net/pms-agent)",
    )
    args = parser.parse_args(argv)

    database_url = os.environ.get("PMS_AGENT_DATABASE_URL", "").strip()
    if not database_url:
        parser.error("PMS_AGENT_DATABASE_URL is not set")
    api_keys = [key.strip() for key in os.environ.get("PMS_AGENT_API_KEYS", "").split(",") if key.strip()]
    if not api_keys:
        parser.error("PMS_AGENT_API_KEYS is not set")
    try:
        database_password = make_url(database_url).password or ""
    except ArgumentError:
        parser.error("PMS_AGENT_DATABASE_URL is not a database URL (mssql+pymssql://user:password@host/database)")
    metrics_token = os.environ.get(METRICS_TOKEN, "").strip()
    relay: tuple[RelayEndpoint, str, str] | None = None
    if args.relay:
        key_name, key = os.environ.get(RELAY_KEY_NAME, "").strip(), os.environ.get(RELAY_KEY, "").strip()
        if not key_name or not key:
            parser.error(f"--relay needs {RELAY_KEY_NAME} and {RELAY_KEY}: the name and key of a rule with the Listen right")
        try:
            relay = (RelayEndpoint.parse(args.relay), key_name, key)
        except ValueError as exc:
            parser.error(str(exc))
    try:
        app = create_agent_app(
            database_url=database_url,
            api_keys=api_keys,
            mapping_path=os.environ.get("PMS_AGENT_MAPPING") or None,
            metrics_token=metrics_token,
        )
    except MappingError as exc:
        parser.error(str(exc))
    secrets = [*api_keys, database_password, quote_plus(database_password), metrics_token, relay[2] if relay else ""]
    try:
        log_file = configure_logging(log_dir_from_environment(), secrets)
    except OSError as exc:
        parser.error(f"cannot write logs to {log_dir_from_environment()} (set {LOG_DIR}): {exc}")
    if log_file is not None:
        log.info("logging to %s", log_file)
    if relay is None:
        uvicorn.run(app, host=args.host, port=args.port, log_config=None)  # uvicorn logs through our handlers
        return
    listener = RelayListener(app, *relay)
    app.state.metrics.watch_relay(listener)
    try:
        asyncio.run(listen_on_relay(app, listener))
    except RelayEndpointMissing as exc:
        parser.exit(1, f"pms-sync-agent: {exc}\n")
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
