"""The clocks sign-in and access decisions read: real time in the service, a test's own in tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from store.clock import utcnow


@dataclass(frozen=True)
class Clocks:
    monotonic: Callable[[], float] = time.monotonic
    """Seconds for intervals: how long a verified token, an access decision or the tenants' keys are kept."""
    now: Callable[[], datetime] = utcnow
    """The time of day: when a session is decided again, when a refusal may be audited again."""
