"""Request and response helpers shared by the sandbox identity server and API."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from sandbox.clio.state import InvalidRequest


def error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def bearer_token(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


async def json_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object, or InvalidRequest."""
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        raise InvalidRequest("The body is not valid JSON") from None
    if not isinstance(body, dict):
        raise InvalidRequest("The body must be a JSON object")
    return body
