"""The ``pms-sync`` command."""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
from pathlib import Path

import uvicorn

from plugin import setup, tracing
from plugin.connections_admin import set_connection
from plugin.errors import InvalidInput
from plugin.members import bootstrap_administrator
from plugin.settings import Settings
from plugin.setup import SecretKeyError
from store.repository import Store
from views.app import create_app
from views.logs import configure_logging
from views.server import server_config

ENV_SET_ACTOR = "pms-sync env set"  # the actor of the audit events `pms-sync env set` writes
SECRET_VARIABLES = {
    "client_secret": "PMS_SYNC_CLIENT_SECRET", "agent_key": "PMS_SYNC_AGENT_KEY", "relay_key": "PMS_SYNC_RELAY_KEY",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pms-sync", description="PMS Sync: Aderant matters into Clio Operate.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the service (settings from PMS_SYNC_* variables)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--fd", type=int, help="serve on this bound socket, inherited from the parent process, instead of --host and --port")

    demo = commands.add_parser("demo", help="run the service with the sandbox, on SQLite")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000, help="the service's port; the sandbox takes the next one")
    demo.add_argument("--data-dir", type=Path, default=Path("demo-data"))
    demo.add_argument(
        "--fds", type=int, nargs=2, metavar=("SERVICE", "SANDBOX"),
        help="serve on these bound sockets (ports P and P + 1), inherited from the parent process, instead of --port",
    )
    demo.add_argument(
        "--relay", action="store_true",
        help="Production reaches the Aderant agent through the sandbox's stand-in Azure Relay, the agent listening on it",
    )

    db = commands.add_parser(
        "db",
        help="database maintenance: upgrade it; copy every row into another, empty database "
        "(e.g. a SQLite trial into PostgreSQL); back a SQLite database up to a file",
    )
    db.add_argument("action", choices=["upgrade", "copy", "backup"])
    db.add_argument("--to", help="copy: the target database URL; backup: the file to write")

    secrets = commands.add_parser(
        "secrets",
        help="re-encrypt every stored secret with the first key of PMS_SYNC_SECRET_KEYS, "
        "after which the other keys can be removed",
    )
    secrets.add_argument("action", choices=["rotate"])

    manifest = commands.add_parser("manifest", help="build the Clio Operate widget package for a service URL")
    manifest.add_argument("--service-url", required=True)
    manifest.add_argument("--out", type=Path, default=Path("manifest/build"))

    org = commands.add_parser("org", help="create an organisation")
    org.add_argument("action", choices=["create"])
    org.add_argument("name")
    org.add_argument("--admin-role", action="append", default=[], help="a Clio Operate role that makes a user an administrator here")

    admin = commands.add_parser(
        "admin", help="make the first administrator of an organisation, who signs in outside Clio Operate"
    )
    admin.add_argument("action", choices=["bootstrap"])
    admin.add_argument("organisation", help="created if it does not exist yet")
    admin.add_argument("email")
    admin.add_argument("--name", default="", help="the administrator's name, as shown in PMS Sync")

    env = commands.add_parser(
        "env",
        help="create or update an environment, checked and audited as Settings → Connections saves it; secrets are "
        "read from the variables PMS_SYNC_CLIENT_SECRET, PMS_SYNC_AGENT_KEY and PMS_SYNC_RELAY_KEY, never from "
        "arguments (one left unset keeps its stored value); settings without an argument here keep theirs",
    )
    env.add_argument("action", choices=["set"])
    env.add_argument("organisation")
    env.add_argument("name")
    env.add_argument("--identity-url", required=True)
    env.add_argument("--api-url", required=True)
    env.add_argument("--client-id", required=True)
    env.add_argument("--agent-url", required=True)
    env.add_argument("--relay-key-name")
    env.add_argument("--portal-origin", action="append", default=[])
    env.add_argument("--default", action="store_true")
    env.add_argument("--import-writes", action="store_true")

    args = parser.parse_args(argv)
    settings = Settings.from_env()
    try:
        configure_logging(settings.log_level, settings.log_format)
    except ValueError as exc:
        print(f"pms-sync: {exc}", file=sys.stderr)
        return 2
    try:
        return _run(args, settings)
    except SecretKeyError as exc:
        print(f"pms-sync: {exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "serve":
        setup.check_secret_keys(settings)  # fail fast on a missing or bad key
        config = server_config(
            create_app(settings), host=args.host, port=args.port, proxy_headers=True, log_level=settings.log_level.lower()
        )
        tracing.enable_from_environment()
        try:
            uvicorn.Server(config).run(sockets=None if args.fd is None else [socket.socket(fileno=args.fd)])
        finally:
            tracing.shutdown()
        return 0
    if args.command == "demo":
        from views.demo import run_demo  # the sandbox is only ever loaded for the demo

        sockets = None if args.fds is None else (socket.socket(fileno=args.fds[0]), socket.socket(fileno=args.fds[1]))
        asyncio.run(run_demo(host=args.host, port=args.port, data_dir=args.data_dir, relay=args.relay, sockets=sockets))
        return 0
    if args.command == "db":
        return _database(args, settings)
    if args.command == "manifest":
        from manifest.build import build_widget

        print(build_widget(args.service_url, args.out))
        return 0
    store = setup.open_store(settings)
    if args.command == "secrets":
        count = store.rotate_secrets()
        print(f"re-encrypted {count} secret value{'' if count == 1 else 's'} with the first key of PMS_SYNC_SECRET_KEYS")
        return 0
    if args.command == "org":
        print(setup.create_organisation(store, args.name, args.admin_role))
        return 0
    if args.command == "admin":
        try:
            result = bootstrap_administrator(store, args.organisation, args.email, args.name)
        except InvalidInput as exc:
            print(f"pms-sync: {exc}", file=sys.stderr)
            return 2
        if result.organisation_created:
            print(f"created organisation {args.organisation!r} (id {result.organisation_id})")
        print(f"{result.email} {'is now' if result.member_changed else 'was already'} an administrator of {args.organisation!r}")
        return 0
    return _set_environment(args, store)


def _set_environment(args: argparse.Namespace, store: Store) -> int:
    organisation_id = setup.organisation_id(store, args.organisation)
    if organisation_id is None:
        print(f"pms-sync: no organisation named {args.organisation!r}", file=sys.stderr)
        return 2
    fields = {
        "identity_url": args.identity_url,
        "api_url": args.api_url,
        "client_id": args.client_id,
        "agent_url": args.agent_url,
        "relay_key_name": args.relay_key_name or "",
        "portal_origins": "\n".join(args.portal_origin),
        **({"import_writes_enabled": "on"} if args.import_writes else {}),
        **{name: os.environ.get(variable, "") for name, variable in SECRET_VARIABLES.items()},
    }
    try:
        environment_id = set_connection(
            store, organisation_id, args.name, ENV_SET_ACTOR, fields, make_default=args.default
        )
    except InvalidInput as exc:
        print(f"pms-sync: {exc}", file=sys.stderr)
        return 2
    print(environment_id)
    return 0


def _database(args: argparse.Namespace, settings: Settings) -> int:
    if args.action == "upgrade":
        setup.upgrade_database(settings)
        print("database is up to date")
        return 0
    if not args.to:
        print(f"pms-sync: db {args.action} needs --to", file=sys.stderr)
        return 2
    try:
        if args.action == "backup":
            setup.back_up_database(settings, Path(args.to))
            print(f"backed the database up to {args.to}")
            return 0
        copied = setup.copy_database_to(settings, args.to, on_table=lambda table: print(f"{table.name}: {_rows(table.rows)} copied"))
    except setup.TransferRefused as exc:
        print(f"pms-sync: {exc}", file=sys.stderr)
        return 2
    print(
        f"copied {_rows(sum(t.rows for t in copied))} in {len(copied)} tables; the row counts match. Secrets were "
        "copied encrypted: run the service on the new database with the same PMS_SYNC_SECRET_KEYS"
    )
    return 0


def _rows(count: int) -> str:
    return f"{count} row{'' if count == 1 else 's'}"


if __name__ == "__main__":
    sys.exit(main())
