"""Values shared by the agent tests and their fixtures."""

from __future__ import annotations

from collections.abc import Callable

import httpx2

API_KEYS = ("key-current", "key-next")

ClientFactory = Callable[..., httpx2.AsyncClient]
