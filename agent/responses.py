"""JSON responses of the agent: bodies encoded once, errors as ``{"error": "..."}``."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import Response

from agent.paging import encode_json


def json_response(
    content: object, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    body = content if isinstance(content, bytes) else encode_json(content)
    return Response(body, status_code, headers, media_type="application/json")


def error_response(
    status_code: int, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    return json_response({"error": message}, status_code, headers)
