"""The listener: holds the control channel of a hybrid connection and answers its HTTP requests
with the agent's own ASGI app, called in process.

Protocol (Microsoft's "Azure Relay Hybrid Connections protocol" article, "Request message",
"Responding to requests", "Responding via rendezvous", "Listener token renewal"):

- the control channel is a WebSocket to `wss://{ns}/$hc/{path}?sb-hc-action=listen`; the token goes
  in the `ServiceBusAuthorization` header, as hyco-https and Microsoft.Azure.Relay send it;
- a request is a text frame `{"request": {"address", "id", "requestTarget", "method",
  "requestHeaders", "body"}}`, followed by one binary message (possibly split in fragments) when
  `body` is true;
- the answer is `{"response": {"requestId", "statusCode", "statusDescription",
  "responseHeaders", "body"}}` plus a binary body message, on the same channel while the body fits
  in 64 kB, else over a rendezvous WebSocket opened on the request's `address`;
- a request too big for the control channel arrives as `{"request": {"address", "id"}}` only: the
  listener opens the rendezvous socket and the relay sends the whole request there;
- `{"renewToken": {"token"}}` replaces the channel's token before it expires (the relay closes the
  channel with 1008 when it does expire);
- every request is answered within 60 s, or the relay answers the sender 504 on its own.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import httpx2
from starlette.applications import Starlette
from starlette.types import ASGIApp
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from agent.relay.sas import RelayEndpoint, sas_token

log = logging.getLogger(__name__)

INLINE_BODY_LIMIT = 64 * 1024
"""Bodies larger than this leave the control channel for a rendezvous socket (the article's 64 kB;
hyco-https `maxControlChannelMessageSize`)."""
RELAY_REQUEST_LIMIT = 60.0
ANSWER_DEADLINE = 55.0
"""The agent gives up a little before the relay's 60 s, so the sender learns why."""
RECONNECT_DELAYS = (0.0, 1.0, 2.0, 5.0, 10.0, 30.0)
"""Seconds between reconnection attempts, as hyco-https and Microsoft.Azure.Relay use."""
TOKEN_LIFETIME = 3600
TOKEN_RENEW_BEFORE = 300
PING_INTERVAL = 30.0
CONNECTION_HEADERS = frozenset(
    {"connection", "content-length", "host", "te", "trailer", "transfer-encoding", "upgrade", "close", "keep-alive"}
)
"""RFC 7230 connection headers: the relay strips them and a listener may not set them."""


class RelayEndpointMissing(RuntimeError):
    """The relay says the hybrid connection does not exist (404): reconnecting cannot help."""


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def frame(self, request_id: str) -> str:
        return json.dumps(
            {
                "response": {
                    "requestId": request_id,
                    "statusCode": self.status,
                    "statusDescription": _reason(self.status),
                    "responseHeaders": self.headers,
                    "body": bool(self.body),
                }
            }
        )


class AgentCaller:
    """Turns one relayed request into a call of the agent's ASGI app, within the time limit."""

    def __init__(self, app: ASGIApp, hybrid_connection: str, *, deadline: float = ANSWER_DEADLINE) -> None:
        transport = httpx2.ASGITransport(app=app, raise_app_exceptions=False)
        self._http = httpx2.AsyncClient(transport=transport, base_url="http://agent")
        self._prefix = "/" + hybrid_connection.strip("/")
        self._deadline = deadline

    async def answer(self, request: Mapping[str, Any], body: bytes) -> Answer:
        method, target = str(request["method"]), self.route(str(request.get("requestTarget") or "/"))
        headers = {name: str(value) for name, value in (request.get("requestHeaders") or {}).items()}
        try:
            response = await asyncio.wait_for(
                self._http.request(method, target, headers=headers, content=body), self._deadline
            )
        except TimeoutError:
            log.error(
                "relay request %s %s: no answer within %g s; answering 503 before the relay's %g s limit",
                method, target.split("?", 1)[0], self._deadline, RELAY_REQUEST_LIMIT,
            )
            message = (
                f"The agent did not answer within {self._deadline:g} s "
                f"(Azure Relay allows {RELAY_REQUEST_LIMIT:g} s per request)"
            )
            return _json_answer(503, message)
        kept = {name: value for name, value in response.headers.items() if name.lower() not in CONNECTION_HEADERS}
        return Answer(response.status_code, kept, response.content)

    def route(self, request_target: str) -> str:
        """The agent's own route. Whether `requestTarget` starts with the hybrid connection's path
        is not shown by the article (its example is `/abc/def?…`), so both forms are accepted."""
        path, query = request_target.partition("?")[::2]
        if path == self._prefix or path.startswith(self._prefix + "/"):
            path = path[len(self._prefix) :] or "/"
        return path + (f"?{query}" if query else "")

    async def aclose(self) -> None:
        await self._http.aclose()


class RelayListener:
    """Keeps one control channel open, reconnecting with backoff, and answers what comes on it."""

    def __init__(
        self,
        app: ASGIApp,
        endpoint: RelayEndpoint,
        key_name: str,
        key: str,
        *,
        answer_deadline: float = ANSWER_DEADLINE,
        token_lifetime: int = TOKEN_LIFETIME,
        token_renew_before: int = TOKEN_RENEW_BEFORE,
        reconnect_delays: Sequence[float] = RECONNECT_DELAYS,
        ping_interval: float | None = PING_INTERVAL,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if token_renew_before >= token_lifetime:
            raise ValueError("the token must be renewed before it expires")
        self.endpoint = endpoint
        self._caller = AgentCaller(app, endpoint.path, deadline=answer_deadline)
        self._key_name = key_name
        self._key = key
        self._lifetime = token_lifetime
        self._renew_before = token_renew_before
        self._delays = tuple(reconnect_delays) or (0.0,)
        self._ping_interval = ping_interval
        self._clock = clock
        self.online = asyncio.Event()
        """Set while the control channel is open."""

    @property
    def connected(self) -> bool:
        """Whether the control channel is open (reported as ``pms_sync_agent_relay_connected``)."""
        return self.online.is_set()

    def token(self) -> tuple[str, int]:
        expiry = int(self._clock()) + self._lifetime
        return sas_token(self.endpoint.resource_uri, self._key_name, self._key, expiry), expiry

    async def serve_forever(self) -> None:
        """Listen until cancelled. A missing hybrid connection (404) ends it, as in Microsoft.Azure.Relay."""
        failures = 0
        try:
            while True:
                try:
                    await self._listen_once()
                    failures = 0
                    log.warning("relay control channel closed; reconnecting")
                except InvalidStatus as exc:
                    status = exc.response.status_code
                    if status == 404:
                        raise RelayEndpointMissing(
                            f"the relay has no hybrid connection at {self.endpoint.listen_url.split('?')[0]}"
                        ) from exc
                    hint = " (check the SAS rule name and key, and that the rule has the Listen right)" if status in (401, 403) else ""
                    log.error("the relay refused the listener with HTTP %s%s", status, hint)
                except (OSError, TimeoutError, ConnectionClosed, InvalidHandshake) as exc:
                    log.warning("relay control channel lost: %s", exc or type(exc).__name__)
                delay = self._delays[min(failures, len(self._delays) - 1)]
                failures += 1
                await asyncio.sleep(delay * random.uniform(0.8, 1.2))
        finally:
            await self._caller.aclose()

    async def _listen_once(self) -> None:
        token, expiry = self.token()
        async with connect(
            self.endpoint.listen_url,
            additional_headers={"ServiceBusAuthorization": token},
            ping_interval=self._ping_interval,
        ) as channel:
            log.info("listening on the relay at %s", self.endpoint.listen_url.split("?")[0])
            self.online.set()
            send_lock = asyncio.Lock()
            tasks: set[asyncio.Task[None]] = set()

            def spawn(work: Awaitable[None]) -> None:
                task = asyncio.ensure_future(work)
                tasks.add(task)
                task.add_done_callback(tasks.discard)

            spawn(self._renew_tokens(channel, send_lock, expiry))
            try:
                async for message in channel:
                    command = _command(message)
                    request = command.get("request")
                    if isinstance(request, dict) and request.get("method"):
                        body = await _body(channel, request)
                        spawn(self._answer_inline(channel, send_lock, request, body))
                    elif isinstance(request, dict) and request.get("address"):
                        spawn(self._rendezvous(str(request["address"])))
                    elif "accept" in command:
                        log.warning("relay WebSocket senders are not served by the agent; connection ignored")
            finally:
                self.online.clear()
                for task in tasks:
                    task.cancel()

    async def _renew_tokens(self, channel: ClientConnection, send_lock: asyncio.Lock, expiry: int) -> None:
        while True:
            await asyncio.sleep(max(0.0, expiry - self._renew_before - self._clock()))
            token, expiry = self.token()
            try:
                async with send_lock:
                    await channel.send(json.dumps({"renewToken": {"token": token}}))
            except ConnectionClosed:
                return  # the receiving loop reconnects
            log.info("relay listener token renewed")

    async def _answer_inline(
        self, channel: ClientConnection, send_lock: asyncio.Lock, request: Mapping[str, Any], body: bytes
    ) -> None:
        answer = await self._caller.answer(request, body)
        if len(answer.body) > INLINE_BODY_LIMIT:
            await self._rendezvous(str(request["address"]), (str(request["id"]), answer))
            return
        try:
            async with send_lock:
                await _send(channel, str(request["id"]), answer)
        except ConnectionClosed:
            log.warning("relay control channel closed before an answer could be sent; the relay answers the sender")

    async def _rendezvous(self, address: str, pending: tuple[str, Answer] | None = None) -> None:
        """Open the rendezvous socket; deliver a pending answer, then serve what the relay sends on it."""
        try:
            async with connect(address, ping_interval=self._ping_interval) as socket:
                if pending is not None:
                    await _send(socket, *pending)
                async for message in socket:
                    request = _command(message).get("request")
                    if not isinstance(request, dict) or not request.get("method"):
                        continue
                    body = await _body(socket, request)
                    await _send(socket, str(request["id"]), await self._caller.answer(request, body))
        except (OSError, TimeoutError, ConnectionClosed, InvalidHandshake) as exc:
            log.warning("relay rendezvous failed: %s", exc or type(exc).__name__)


def _command(message: str | bytes) -> dict[str, Any]:
    if isinstance(message, bytes):
        log.warning("relay sent a binary frame that follows no request; ignored")
        return {}
    try:
        command = json.loads(message)
    except ValueError:
        log.warning("relay sent a text frame that is not JSON; ignored")
        return {}
    return command if isinstance(command, dict) else {}


async def _body(socket: ClientConnection, request: Mapping[str, Any]) -> bytes:
    """The request body: the binary message after the request frame (fragments joined by websockets)."""
    if not request.get("body"):
        return b""
    body = await socket.recv()
    return body if isinstance(body, bytes) else body.encode()


async def _send(socket: ClientConnection, request_id: str, answer: Answer) -> None:
    await socket.send(answer.frame(request_id))
    if answer.body:
        await socket.send(answer.body)


def _json_answer(status: int, message: str) -> Answer:
    return Answer(status, {"content-type": "application/json"}, json.dumps({"error": message}).encode())


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


async def listen_on_relay(app: Starlette, listener: RelayListener) -> None:
    """Run the app's lifespan around the listener, as uvicorn would around its server."""
    async with app.router.lifespan_context(app):
        await listener.serve_forever()
