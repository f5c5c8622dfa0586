"""Logging for the ``pms-sync`` command: the format and level, and no credential in any line.

URLs carry credentials in two places we cannot avoid: a Teams Workflows webhook's query string
(``sig=…``) and the OpenID Connect callback (``code=…``). httpx logs every request's URL at INFO
and uvicorn's access log every path, so both loggers get ``RedactUrls``: query values and any
``user:password@`` are replaced by ``***`` before a handler sees the record. (Raising those loggers
to WARNING instead would lose the one line per remote call, which is worth keeping: the Aderant
and OpenID Connect clients do not go through one place where we could log calls ourselves.)
"""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qsl, urlsplit, urlunsplit

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
URL_LOGGERS = ("httpx", "uvicorn.access")
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


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format=FORMAT)
    for name in URL_LOGGERS:
        logging.getLogger(name).addFilter(REDACT_URLS)  # the same filter object is added only once
    # httpcore's DEBUG trace is the wire itself: every header of every answer, cookies included.
    # The httpx line above says what was called; the trace stays off whatever the level.
    logging.getLogger("httpcore").setLevel(logging.INFO)
