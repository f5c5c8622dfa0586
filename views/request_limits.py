"""Size limits on what a request may send, enforced before the app reads it: a body over its
route's limit is answered 413 (by its Content-Length, or by counting a streamed body), a header
block over ``HEADER_LIMIT`` 431. The server's own parser (``views.server``) keeps the same header
limit for a header block it could not even finish reading."""

from __future__ import annotations

import json

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

KB = 1024
MB = 1024 * KB
BODY_LIMIT = 1 * MB  # forms and JSON
# Routes that need more: the mapping form carries its document (up to 256 KB) in up to three
# fields (draft, pasted, uploaded file), URL-encoded; the participant roles and work type names
# forms a modeller's answer (up to 1 MB) as a file or pasted.
ROUTE_BODY_LIMITS = {"/settings/mapping": 2 * MB, "/settings/roles": 3 * MB, "/settings/work-types": 3 * MB}
HEADER_LIMIT = 32 * KB  # room for a large JWT and cookies; browsers send well under 8 KB


class BodyTooLarge(Exception):
    pass


def size(limit: int) -> str:
    return f"{limit // MB} MB" if limit >= MB else f"{limit // KB} KB"


def body_limit(path: str) -> int:
    return ROUTE_BODY_LIMITS.get(path.rstrip("/") or "/", BODY_LIMIT)


def header_block_size(headers: list[tuple[bytes, bytes]]) -> int:
    return sum(len(name) + len(value) + 4 for name, value in headers)  # "name: value\r\n"


class RequestLimits:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if header_block_size(scope["headers"]) > HEADER_LIMIT:
            await refuse(scope, send, 431, f"The request's headers are too large (limit {size(HEADER_LIMIT)}).")
            return
        limit = body_limit(scope["path"])
        too_large = f"The request is too large (limit {size(limit)})."
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            status = 413 if declared.isdigit() else 400
            await refuse(scope, send, status, too_large if status == 413 else "The Content-Length header is not a number.")
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except BodyTooLarge:
            if started:
                raise
            await refuse(scope, send, 413, too_large)


async def refuse(scope: Scope, send: Send, status: int, message: str) -> None:
    """The refusal in the caller's terms: ``{"error": ...}`` for the JSON API and JSON senders.
    The connection stays open: uvicorn reads and drops the rest of the body without keeping it,
    so a client still sending gets the answer rather than a reset connection."""
    headers = Headers(scope=scope)
    wants_json = scope["path"].startswith("/api/") or headers.get("content-type", "").startswith("application/json")
    body = json.dumps({"error": message}).encode() if wants_json else message.encode()
    media = "application/json" if wants_json else "text/plain; charset=utf-8"
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", media.encode()), (b"content-length", str(len(body)).encode())],
    })
    await send({"type": "http.response.body", "body": body})
