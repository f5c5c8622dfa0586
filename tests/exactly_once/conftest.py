"""The service in-process over the sandbox in-process (tests/views/conftest.py), each test with its
own copy of the Aderant database (tests/sync/conftest.py), and helpers to count what Clio Operate
holds for an Aderant id and to change the service's timings."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

from sandbox.clio.seed import IMPORTED_WORK_ITEM_ID
from tests.sync.conftest import aderant_db, aderant_template  # noqa: F401  (a copy of the Aderant database per test)
from tests.views.conftest import Service, service  # noqa: F401  (the app + sandbox fixture)


def until(condition: Callable[[], object], what: str, timeout: float = 10.0) -> None:
    """Wait until ``condition`` holds (a late write has landed): ``timeout`` only bounds a failure."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.02)


def work_items_of(service: Service, matter_id: str) -> list[str]:
    """Work items (not deleted) carrying the Aderant matter id, as Clio Operate's search finds them."""
    return [
        item.id for item in service.tenant().state.work_items.values()
        if item.id != IMPORTED_WORK_ITEM_ID and item.attributes.get("aderant-matter-id") == matter_id
        and not item.phase.is_removed
    ]


def contacts_stamped(service: Service, reference: str) -> list[str]:
    state = service.tenant().state
    return [c.id for c in (*state.people.values(), *state.organisations.values()) if c.reference == reference]


def set_settle(service: Service, seconds: float) -> None:
    service.client.app.state.runtime.services.settle = timedelta(seconds=seconds)
