"""``pms-sync-agent``: run the agent under uvicorn, configured from the environment."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

import uvicorn

from agent.app import create_agent_app
from agent.schema import MappingError

DEFAULT_PORT = 4102


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="pms-sync-agent",
        description="Read-only HTTP agent over an Aderant Expert database. Configured by "
        "PMS_AGENT_DATABASE_URL, PMS_AGENT_API_KEYS (comma-separated) and PMS_AGENT_MAPPING.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    args = parser.parse_args(argv)

    database_url = os.environ.get("PMS_AGENT_DATABASE_URL", "").strip()
    if not database_url:
        parser.error("PMS_AGENT_DATABASE_URL is not set")
    api_keys = [key for key in os.environ.get("PMS_AGENT_API_KEYS", "").split(",") if key.strip()]
    if not api_keys:
        parser.error("PMS_AGENT_API_KEYS is not set")
    try:
        app = create_agent_app(
            database_url=database_url,
            api_keys=api_keys,
            mapping_path=os.environ.get("PMS_AGENT_MAPPING") or None,
        )
    except MappingError as exc:
        parser.error(str(exc))
    uvicorn.run(app, host=args.host, port=args.port)


if __name__ == "__main__":
    main()
