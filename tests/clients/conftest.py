"""Fixtures shared by the client tests; constants and payloads live in client_samples.py."""

from collections.abc import AsyncIterator

import httpx2
import pytest


@pytest.fixture
async def http() -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient() as client:
        yield client
