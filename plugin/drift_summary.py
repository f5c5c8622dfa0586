"""Changes since import, counted over every imported matter of an environment: what a scheduled
run records and tells Teams of. It reads with `plugin/drift_reads.py` a page at a time and keeps
only the counts, so memory stays bounded however many matters were imported. It applies nothing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from plugin.drift import MatterDrift
from plugin.drift_reads import drift_pages
from plugin.services import Services
from store.repository import EnvironmentSettings


@dataclass(frozen=True)
class DriftSummary:
    """Counts of matters, except the parties, which are counted one by one."""

    compared: int = 0  # matters compared on all three sides
    not_compared: int = 0  # no baseline, or no longer in Aderant or in Clio Operate
    to_apply: int = 0  # a value changed in Aderant only, or a party added there: can be applied
    conflicts: int = 0  # a value changed in both systems, to different values
    clio_only: int = 0  # edited in Clio Operate only: left as it is
    parties_added: int = 0
    parties_removed: int = 0

    @property
    def something_to_apply(self) -> bool:
        return self.to_apply > 0

    def plus(self, drifts: Iterable[MatterDrift]) -> DriftSummary:
        counts = asdict(self)
        for drift in drifts:
            if drift.status != "compared":
                counts["not_compared"] += 1
                continue
            counts["compared"] += 1
            counts["to_apply"] += drift.count("aderant_only") + drift.count("party_added") > 0
            counts["conflicts"] += drift.count("both") > 0
            counts["clio_only"] += drift.count("clio_only") > 0
            counts["parties_added"] += drift.count("party_added")
            counts["parties_removed"] += drift.count("party_removed")
        return DriftSummary(**counts)

    def lines(self) -> list[str]:
        """The counts for a person, those that are not zero."""
        found = [
            (self.to_apply, "matter has changes in Aderant to apply", "matters have changes in Aderant to apply"),
            (self.conflicts, "matter is in conflict (changed in both systems)", "matters are in conflict (changed in both systems)"),
            (self.clio_only, "matter was edited in Clio Operate only", "matters were edited in Clio Operate only"),
            (self.parties_added, "party added in Aderant", "parties added in Aderant"),
            (self.parties_removed, "party removed in Aderant", "parties removed in Aderant"),
        ]
        return [f"{count} {one if count == 1 else many}" for count, one, many in found if count]

    def to_json(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> DriftSummary | None:
        if data is None:
            return None
        return cls(**{f.name: int(data.get(f.name, 0)) for f in fields(cls)})


async def summarise_drift(services: Services, env: EnvironmentSettings) -> DriftSummary:
    """The drift of every imported matter of `env`, counted."""
    summary = DriftSummary()
    async for page in drift_pages(services, env):
        summary = summary.plus(page)
    return summary
