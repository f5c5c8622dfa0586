"""Values shared by the agent tests and their fixtures."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx2

API_KEYS = ("key-current", "key-next")

ClientFactory = Callable[..., httpx2.AsyncClient]


@contextmanager
def root_logging_restored() -> Iterator[None]:
    """Put the root logger's handlers and level back (closing any added), as the CLI adds its own."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        yield
    finally:
        for handler in root.handlers:
            if handler not in handlers:
                handler.close()
        root.handlers[:] = handlers
        root.setLevel(level)
