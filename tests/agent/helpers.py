"""Values shared by the agent tests and their fixtures."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx2

from agent.logs import RedactingFormatter

API_KEYS = ("key-current", "key-next")

ClientFactory = Callable[..., httpx2.AsyncClient]


@contextmanager
def root_logging_restored() -> Iterator[None]:
    """Take the agent's log handlers off the root logger again (closing them) and put its level
    back, as the CLI adds its own. Other handlers (pytest's) are left as they are."""
    root = logging.getLogger()
    level = root.level
    try:
        yield
    finally:
        for handler in list(root.handlers):
            if isinstance(handler.formatter, RedactingFormatter):
                root.removeHandler(handler)
                handler.close()
        root.setLevel(level)
