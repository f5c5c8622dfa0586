"""A stand-in Azure Relay namespace: the service side of HTTP over hybrid connections.

Mounted at `/relay` of the sandbox, so the namespace address is `{sandbox}/relay`:

- senders send ordinary HTTP requests to `{sandbox}/relay/{hybrid connection}/{route}` with
  `ServiceBusAuthorization: SharedAccessSignature …` (or `?sb-hc-token=`, or `Authorization` when
  neither is present);
- listeners hold the control channel `ws://…/relay/$hc/{hybrid connection}?sb-hc-action=listen`;
- rendezvous sockets are `ws://…/relay/$hc/{hybrid connection}?sb-hc-action=request&sb-hc-id=…`.

What it follows: Microsoft's "Azure Relay Hybrid Connections protocol" article (token order and
stripping, request/response frames, 64 kB control-channel limit and rendezvous, 60 s answer limit,
`renewToken`, close 1008 on an expired token, `Via` on listener answers, 401/403/404 for bad
tokens and paths, 502 with no listener, 504 when the listener is too slow), and the SAS token
rules of the Service Bus SAS article as Microsoft's hyco-https `createRelayToken` implements them.
The error body `{"error": {"code", "message"}}` is the shape seen in Azure/azure-relay-dotnet
issue #141; its wording here is ours.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import random
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

PREFIX = "/relay"
INLINE_LIMIT = 64 * 1024
"""Request headers plus body above this go over a rendezvous socket."""
ANSWER_LIMIT = 60.0
MAX_LISTENERS = 25
CONNECTION_HEADERS = frozenset(
    {"connection", "content-length", "host", "te", "trailer", "transfer-encoding", "upgrade", "close", "keep-alive"}
)
TOKEN_PARAMETER = "sb-hc-token"
TOKEN_HEADER = "servicebusauthorization"
EXPIRED = 1008
Right = Literal["Listen", "Send"]


@dataclass(frozen=True)
class SasRule:
    """A shared access authorization rule of the hybrid connection: its key and rights."""

    key: str
    rights: frozenset[str]


class Refused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def response(self) -> Response:
        return JSONResponse({"error": {"code": self.code, "message": self.message}}, status_code=self.status)


@dataclass(frozen=True)
class RelayedCall:
    """One sender request as the relay saw it (`GET /_sandbox/relay`)."""

    method: str
    request_target: str
    status: int
    channel: Literal["control", "rendezvous", "none"]
    started: float
    finished: float


@dataclass(frozen=True)
class RelayedAnswer:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class ControlChannel:
    socket: WebSocket
    expiry: int
    send_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def send(self, frame: dict[str, Any], body: bytes | None = None) -> None:
        async with self.send_lock:
            await self.socket.send_text(json.dumps(frame))
            if body is not None:
                await self.socket.send_bytes(body)


@dataclass
class PendingRequest:
    """A request waiting for its answer; `undelivered` holds it until a rendezvous socket takes it."""

    frame: dict[str, Any]
    body: bytes
    answer: asyncio.Future[RelayedAnswer]
    undelivered: bool = False
    via_rendezvous: bool = False


class RelayStandIn:
    """One namespace: its hybrid connections, their SAS rules and listeners, and the calls it relayed."""

    def __init__(
        self,
        *,
        rules: Mapping[str, SasRule],
        hybrid_connections: Iterable[str] = ("aderant",),
        answer_limit: float = ANSWER_LIMIT,
        inline_limit: int = INLINE_LIMIT,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.rules = dict(rules)
        self.listeners: dict[str, list[ControlChannel]] = {name: [] for name in hybrid_connections}
        self.answer_limit = answer_limit
        self.inline_limit = inline_limit
        self.clock = clock
        self.calls: list[RelayedCall] = []
        self.listener_connections = 0
        """How many control channels were ever accepted (a reconnect counts again)."""
        self.renewals = 0
        self._pending: dict[str, PendingRequest] = {}

    def routes(self) -> list[BaseRoute]:
        """Mount under `PREFIX`."""
        return [
            WebSocketRoute("/$hc/{path:path}", self.websocket),
            Route("/{path:path}", self.send, methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]),
        ]

    def control_routes(self) -> list[Route]:
        """Mount under the sandbox's `/_sandbox`."""
        return [Route("/relay", self._list_calls, methods=["GET"]), Route("/relay", self._clear_calls, methods=["DELETE"])]

    async def drop_listeners(self, code: int = 1011) -> None:
        """Close every control channel, as a relay restart would."""
        for channels in self.listeners.values():
            for channel in list(channels):
                await channel.socket.close(code)

    # Senders --------------------------------------------------------------------------------

    async def send(self, request: Request) -> Response:
        started = self.clock()
        name, _, rest = request.path_params["path"].partition("/")
        query = [(k, v) for k, v in parse_qsl(request.url.query, keep_blank_values=True) if not k.startswith("sb-hc-")]
        target = f"/{name}" + (f"/{rest}" if rest else "") + (f"?{urlencode(query)}" if query else "")
        channel: Literal["control", "rendezvous", "none"] = "none"
        try:
            token, carrier = _sender_token(request)
            self._check(token, name, "Send", request.url.hostname or "")
            listeners = self.listeners[name]
            if not listeners:
                raise Refused(502, "BadGateway", f"There is no listener connected for hybrid connection {name}")
            headers = {k: v for k, v in _joined_headers(request).items() if k not in CONNECTION_HEADERS and k != carrier}
            body = await request.body()
            answer, channel = await self._relay(random.choice(listeners), request, target, headers, body)
            response = Response(answer.body, answer.status, answer.headers)
            via = response.headers.get("via")
            response.headers["via"] = (f"{via}, " if via else "") + f"1.1 {request.url.hostname}"
        except Refused as refusal:
            response = refusal.response()
        self.calls.append(RelayedCall(request.method, target, response.status_code, channel, started, self.clock()))
        return response

    async def _relay(
        self, listener: ControlChannel, request: Request, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[RelayedAnswer, Literal["control", "rendezvous"]]:
        request_id = uuid.uuid4().hex
        scheme = "wss" if request.url.scheme == "https" else "ws"
        name = target.split("?")[0].split("/")[1]
        address = f"{scheme}://{request.url.netloc}{PREFIX}/$hc/{name}?sb-hc-action=request&sb-hc-id={request_id}"
        frame = {
            "request": {
                "address": address,
                "id": request_id,
                "requestTarget": target,
                "method": request.method,
                "requestHeaders": headers,
                "body": bool(body),
            }
        }
        pending = PendingRequest(frame, body, asyncio.get_running_loop().create_future())
        self._pending[request_id] = pending
        try:
            try:
                if len(json.dumps(frame)) + len(body) <= self.inline_limit:
                    await listener.send(frame, body or None)
                else:
                    pending.undelivered = pending.via_rendezvous = True
                    await listener.send({"request": {"address": address, "id": request_id}})
            except (RuntimeError, WebSocketDisconnect):
                raise Refused(502, "BadGateway", "The request could not be routed to the listener") from None
            answer = await asyncio.wait_for(asyncio.shield(pending.answer), self.answer_limit)
        except TimeoutError:
            raise Refused(
                504, "GatewayTimeout",
                f"The request was routed to the listener but the listener did not respond within {self.answer_limit:g} s",
            ) from None
        finally:
            self._pending.pop(request_id, None)
        return answer, "rendezvous" if pending.via_rendezvous else "control"

    # Listeners and rendezvous ---------------------------------------------------------------

    async def websocket(self, socket: WebSocket) -> None:
        name = socket.path_params["path"]
        action = socket.query_params.get("sb-hc-action")
        if action == "listen":
            await self._listen(socket, name)
        elif action == "request":
            await self._rendezvous(socket, socket.query_params.get("sb-hc-id", ""))
        else:
            await _deny(socket, Refused(400, "BadRequest", f"Unrecognised action {action!r}"))

    async def _listen(self, socket: WebSocket, name: str) -> None:
        try:
            token = socket.query_params.get(TOKEN_PARAMETER) or socket.headers.get(TOKEN_HEADER)
            expiry = self._check(token, name, "Listen", socket.url.hostname or "")
            if len(self.listeners[name]) >= MAX_LISTENERS:
                raise Refused(403, "QuotaExceeded", f"Hybrid connection {name} has {MAX_LISTENERS} listeners already")
        except Refused as refusal:
            await _deny(socket, refusal)
            return
        await socket.accept()
        channel = ControlChannel(socket, expiry)
        self.listeners[name].append(channel)
        self.listener_connections += 1
        watchdog = asyncio.create_task(self._close_when_expired(channel))
        try:
            while True:
                command = json.loads(await socket.receive_text())
                if "response" in command:
                    await self._take_response(socket, command["response"])
                elif "renewToken" in command:
                    try:
                        channel.expiry = self._check(command["renewToken"].get("token"), name, "Listen", socket.url.hostname or "")
                        self.renewals += 1
                    except Refused as refusal:
                        await socket.close(EXPIRED, refusal.message)
                        return
        except (WebSocketDisconnect, RuntimeError, ValueError, KeyError):
            pass
        finally:
            watchdog.cancel()
            self.listeners[name].remove(channel)

    async def _close_when_expired(self, channel: ControlChannel) -> None:
        while (left := channel.expiry - self.clock()) > 0:
            await asyncio.sleep(left)
        await channel.socket.close(EXPIRED, "The security token has expired")

    async def _rendezvous(self, socket: WebSocket, request_id: str) -> None:
        pending = self._pending.get(request_id)
        if pending is None:
            await _deny(socket, Refused(403, "Forbidden", "The rendezvous address is not valid or has expired"))
            return
        await socket.accept()
        pending.via_rendezvous = True
        try:
            if pending.undelivered:
                pending.undelivered = False
                await socket.send_text(json.dumps(pending.frame))
                if pending.body:
                    await socket.send_bytes(pending.body)
            command = json.loads(await socket.receive_text())
            await self._take_response(socket, command["response"])
            await socket.close()
        except (WebSocketDisconnect, RuntimeError, ValueError, KeyError):
            pass

    async def _take_response(self, socket: WebSocket, response: Mapping[str, Any]) -> None:
        body = await socket.receive_bytes() if response.get("body") else b""
        pending = self._pending.get(str(response.get("requestId")))
        if pending is None or pending.answer.done():
            return  # the sender was already answered 504, or gave up
        headers = {
            str(k): str(v) for k, v in (response.get("responseHeaders") or {}).items() if str(k).lower() not in CONNECTION_HEADERS
        }
        pending.answer.set_result(RelayedAnswer(int(response["statusCode"]), headers, body))

    # Tokens ---------------------------------------------------------------------------------

    def _check(self, token: str | None, name: str, right: Right, host: str) -> int:
        """The token's expiry, if it grants `right` on hybrid connection `name`; else Refused."""
        if name not in self.listeners:
            raise Refused(404, "EndpointNotFound", f"Hybrid connection {name} does not exist")
        if not token:
            raise Refused(401, "TokenMissingOrInvalid", "The security token is missing")
        fields = _token_fields(token)
        rule = self.rules.get(fields.get("skn", ""))
        try:
            expiry = int(fields.get("se", ""))
        except ValueError:
            raise Refused(401, "TokenMissingOrInvalid", "The security token is malformed") from None
        if rule is None or "sr" not in fields or "sig" not in fields:
            raise Refused(401, "TokenMissingOrInvalid", "The security token is malformed or its rule is unknown")
        digest = hmac.new(rule.key.encode("utf-8"), f"{fields['sr']}\n{expiry}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(base64.b64encode(digest).decode("ascii"), unquote(fields["sig"])):
            raise Refused(401, "TokenMissingOrInvalid", "The security token's signature is invalid")
        if expiry <= self.clock():
            raise Refused(401, "TokenExpired", "The security token has expired")
        if right not in rule.rights:
            raise Refused(403, "Forbidden", f"The rule {fields['skn']} does not grant {right}")
        if not _covers(unquote(fields["sr"]), host, f"{PREFIX}/{name}"):
            raise Refused(403, "Forbidden", f"The security token is not valid for hybrid connection {name}")
        return expiry

    async def _list_calls(self, request: Request) -> Response:
        return JSONResponse({"calls": [asdict(call) for call in self.calls], "listeners": {
            name: len(channels) for name, channels in self.listeners.items()
        }})

    async def _clear_calls(self, request: Request) -> Response:
        self.calls.clear()
        return Response(status_code=204)


def _sender_token(request: Request) -> tuple[str | None, str | None]:
    """The token and the header carrying it, in the article's order: `sb-hc-token`, then
    `ServiceBusAuthorization`, then `Authorization` only when neither is present."""
    if TOKEN_PARAMETER in request.query_params:
        return request.query_params[TOKEN_PARAMETER], TOKEN_HEADER
    if TOKEN_HEADER in request.headers:
        return request.headers[TOKEN_HEADER], TOKEN_HEADER
    return request.headers.get("authorization"), "authorization"


def _token_fields(token: str) -> dict[str, str]:
    scheme, _, rest = token.partition(" ")
    if scheme != "SharedAccessSignature":
        return {}
    return dict(part.split("=", 1) for part in rest.split("&") if "=" in part)


def _covers(resource_uri: str, host: str, entity_path: str) -> bool:
    """A token is valid for its `sr` and everything under it. Scheme and port are not compared:
    hyco-https signs `http://{host}:{port}/…` (Node's url.format keeps the port), the Python
    quick-start `http://{host}/…`."""
    parts = urlsplit(resource_uri)
    scope = parts.path.rstrip("/").lower()
    entity = entity_path.rstrip("/").lower()
    return (parts.hostname or "").lower() == host.lower() and (entity == scope or entity.startswith(scope + "/"))


def _joined_headers(request: Request) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in request.headers.items():
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers


async def _deny(socket: WebSocket, refusal: Refused) -> None:
    """Refuse the WebSocket handshake with the relay's HTTP status, where the server allows it."""
    try:
        await socket.send_denial_response(refusal.response())
    except RuntimeError:
        await socket.close(1008, refusal.message)
