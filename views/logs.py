"""Logging for the ``pms-sync`` command: the format and level, and no credential in any line.

Lines are text, or JSON objects one per line (``PMS_SYNC_LOG_FORMAT=json``: time, level, logger,
message, request_id, and exception when there is one) for a log collector. Either way each line
carries the request id of the request (or scheduled work) it belongs to, the one shown to people
on error pages (``clients.tracing``).

URLs carry credentials in two places we cannot avoid: a Teams Workflows webhook's query string
(``sig=…``) and the OpenID Connect callback (``code=…``). httpx2 logs every request's URL at INFO
and uvicorn's access log every path, so both loggers get ``RedactUrls``: query values and any
``user:password@`` are replaced by ``***`` before a handler sees the record. (Raising those loggers
to WARNING instead would lose the one line per remote call, which is worth keeping: the Aderant
and OpenID Connect clients do not go through one place where we could log calls ourselves.)
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from plugin.tracing import current_trace_id

FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
LOG_FORMATS = ("text", "json")
URL_LOGGERS = ("httpx2", "uvicorn.access")
WIRE_LOGGERS = ("httpcore2", "h2", "hpack")
HIDDEN = "***"
_ABSOLUTE_URL = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^\s\"'<>]+")


def redact_url(url: str) -> str:
    """``url`` without credentials: query values and ``user:password@`` become ``***``."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{HIDDEN}@{netloc.rpartition('@')[2]}"
    query = "&".join(f"{name}={HIDDEN}" for name, _ in parse_qsl(parts.query, keep_blank_values=True))
    if parts.query and not query:
        query = HIDDEN
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def redact(value: object) -> object:
    """A log argument with every URL in it redacted (a path with a query string, as uvicorn's
    access log passes it, counts as a URL)."""
    if isinstance(value, (int, float)):
        return value
    text = str(value)
    if text.startswith("/") and "?" in text:
        redacted = redact_url(text)
    else:
        redacted = _ABSOLUTE_URL.sub(lambda m: redact_url(m.group(0)), text)
    return value if redacted == text else redacted


class RedactUrls(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(arg) for arg in record.args)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


REDACT_URLS = RedactUrls()


class WithRequestId(logging.Filter):
    """Puts the current request id (``-`` outside any request) on every record a handler gets."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_trace_id() or "-"
        return True


class JsonLines(logging.Formatter):
    """One JSON object per record. URLs in exception text are redacted too: a traceback can quote
    the URL a call failed on."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": current_trace_id(),  # formatted as logged, in the same context
        }
        if record.exc_info:
            line["exception"] = str(redact(self.formatException(record.exc_info)))
        return json.dumps(line, ensure_ascii=False)


def json_logging() -> bool:
    """Whether the process logs JSON lines (``uvicorn`` must then keep its own formatting out)."""
    return any(isinstance(handler.formatter, JsonLines) for handler in logging.getLogger().handlers)


def configure_logging(level: str, log_format: str = "text") -> None:
    """The root handler for the process: text or JSON lines, on standard error."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"PMS_SYNC_LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, not {log_format!r}")
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLines() if log_format == "json" else logging.Formatter(FORMAT))
    handler.addFilter(WithRequestId())
    logging.basicConfig(level=level, handlers=[handler])  # a no-op where the root logger has handlers already
    for name in URL_LOGGERS:
        logging.getLogger(name).addFilter(REDACT_URLS)  # the same filter object is added only once
    # httpcore2's DEBUG trace is the wire itself: every header of every answer, cookies included;
    # so are HTTP/2's (h2, hpack). The httpx2 line above says what was called; the traces stay off
    # whatever the level.
    for name in WIRE_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)
