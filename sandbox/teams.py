"""A stand-in for Microsoft Teams Workflows webhooks: `POST /teams/{channel}` answers 202 with an
empty body (as Workflows does) and keeps the message, so tests see what was sent. Faults apply
to it like to any other sandbox path."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


class TeamsInbox:
    def __init__(self) -> None:
        self.messages: dict[str, list[dict]] = {}

    def routes(self) -> list[Route]:
        return [Route("/teams/{channel}", self.receive, methods=["POST"])]

    def control_routes(self) -> list[Route]:
        return [Route("/teams", self.list, methods=["GET"]), Route("/teams", self.clear, methods=["DELETE"])]

    async def receive(self, request: Request) -> Response:
        try:
            message = json.loads(await request.body())
        except ValueError:
            return JSONResponse({"error": "the body is not JSON"}, status_code=400)
        self.messages.setdefault(request.path_params["channel"], []).append(message)
        return Response(status_code=202)

    async def list(self, request: Request) -> Response:
        return JSONResponse({"messages": self.messages})

    async def clear(self, request: Request) -> Response:
        self.messages.clear()
        return Response(status_code=204)
