"""What the use cases report for operations monitoring (the service exports it as metrics).

Process-local counts: each replica reports its own; sums across replicas are the service's.
"""

from __future__ import annotations

from typing import Protocol


class Telemetry(Protocol):
    def import_finished(self, outcome: str) -> None:
        """An import ended: imported, already_imported, refused, in_progress, settling, deleted or failed."""

    def schedule_run_finished(self, outcome: str) -> None:
        """A scheduled run (or Run now) ended: succeeded, failed or interrupted."""

    def audit_delivery_failed(self) -> None:
        """An audit event was not delivered to a SIEM webhook this time (it will be tried again)."""


class NoTelemetry:
    def import_finished(self, outcome: str) -> None:
        return None

    def schedule_run_finished(self, outcome: str) -> None:
        return None

    def audit_delivery_failed(self) -> None:
        return None
