"""A stand-in for Microsoft Teams Workflows webhooks: `POST /teams/{channel}` answers 202 with an
empty body (as Workflows does) and keeps the message, so tests see what was sent. Faults apply
to it like to any other sandbox path.

A message over 28 KB (MicrosoftDocs/msteams-docs
msteams-platform/webhooks-and-connectors/how-to/add-incoming-webhook.md: "The message size limit
is 28 KB. When the size exceeds 28 KB, you receive an error.") is refused with 413 "Request Entity
Too Large", the error of Teams' post actions (reference/relay-teams-siem.md §2.3). A real Workflows
webhook answers 202 and the flow's post fails later, seen only in its run history; the stand-in
says so at once, so tests see it."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

MAX_MESSAGE_BYTES = 28_000  # 28 KB, the stricter reading


class TeamsInbox:
    def __init__(self) -> None:
        self.messages: dict[str, list[dict]] = {}

    def routes(self) -> list[Route]:
        return [Route("/teams/{channel}", self.receive, methods=["POST"])]

    def control_routes(self) -> list[Route]:
        return [Route("/teams", self.list, methods=["GET"]), Route("/teams", self.clear, methods=["DELETE"])]

    async def receive(self, request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_MESSAGE_BYTES:
            return JSONResponse(
                {"error": f"Request Entity Too Large: the message is {len(body)} bytes, over the 28 KB limit"},
                status_code=413,
            )
        try:
            message = json.loads(body)
        except ValueError:
            return JSONResponse({"error": "the body is not JSON"}, status_code=400)
        self.messages.setdefault(request.path_params["channel"], []).append(message)
        return Response(status_code=202)

    async def list(self, request: Request) -> Response:
        return JSONResponse({"messages": self.messages})

    async def clear(self, request: Request) -> Response:
        self.messages.clear()
        return Response(status_code=204)
