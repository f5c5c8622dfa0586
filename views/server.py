"""How the service is served: uvicorn on h11, with a header block over ``HEADER_LIMIT`` answered
431 rather than uvicorn's generic 400.

h11 refuses a header block it is still waiting to complete once its buffer passes
``max_incomplete_event_size`` (uvicorn's ``h11_max_incomplete_event_size``), with
``error_status_hint`` 431; uvicorn answers every refusal of h11 with a 400. A block that arrives
whole is parsed whatever its size, and ``views.request_limits`` answers it 431.
"""

from __future__ import annotations

import sys
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from views.logs import json_logging
from views.request_limits import HEADER_LIMIT, size

LINGER_SECONDS = 5.0


class H11WithStatusHints(H11Protocol):
    """uvicorn's h11 protocol, answering h11's refusals with the status h11 suggests.

    After a 431 the rest of the request is read and dropped for up to ``LINGER_SECONDS`` (the
    answer already sent, our side of the connection shut): closing at once, with the client's data
    still arriving, would reset the connection and lose the answer before the client reads it.
    """

    refused = False

    def data_received(self, data: bytes) -> None:
        if not self.refused:
            super().data_received(data)

    def send_400_response(self, msg: str) -> None:
        error = sys.exc_info()[1]  # called from uvicorn's ``except h11.RemoteProtocolError`` block
        if not isinstance(error, h11.RemoteProtocolError) or error.error_status_hint != 431:
            super().send_400_response(msg)
            return
        body = f"The request's headers are too large (limit {size(HEADER_LIMIT)}).".encode()
        headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"connection", b"close")]
        for event in (h11.Response(status_code=431, headers=headers, reason=b"Request Header Fields Too Large"), h11.Data(data=body), h11.EndOfMessage()):
            self.transport.write(self.conn.send(event) or b"")
        self.refused = True
        self.transport.write_eof()
        self.loop.call_later(LINGER_SECONDS, self.transport.close)


def server_config(app: Any, *, host: str, port: int, **options: Any) -> uvicorn.Config:
    """The uvicorn configuration every command serves with. When the process logs JSON lines,
    uvicorn's own lines go to the same handler rather than through uvicorn's text formatting."""
    if json_logging():
        options.setdefault("log_config", None)
    return uvicorn.Config(
        app, host=host, port=port, http=H11WithStatusHints, h11_max_incomplete_event_size=HEADER_LIMIT, **options
    )
