"""Values shared by the agent tests and their fixtures."""

from __future__ import annotations

from collections.abc import Callable

import httpx

API_KEYS = ("key-current", "key-next")

ClientFactory = Callable[..., httpx.AsyncClient]
