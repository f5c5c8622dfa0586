"""The counts a scheduled run keeps of the changes since import: matters, each counted once
whatever number of differences it has, except the parties, counted one by one."""

from __future__ import annotations

from plugin.drift import Difference, Kind, MatterDrift
from plugin.drift_summary import DriftSummary


def compared(number: str, *kinds: Kind) -> MatterDrift:
    return MatterDrift(number, f"wi-{number}", "compared", tuple(Difference(k, f"field-{i}", "Label") for i, k in enumerate(kinds)))


def test_each_matter_counts_once_per_kind_and_parties_one_by_one() -> None:
    summary = DriftSummary().plus([
        compared("1", "aderant_only", "aderant_only", "clio_only"),
        compared("2", "both", "party_added", "party_added", "party_removed"),
        compared("3"),
        MatterDrift("4", "wi-4", "no_baseline", message="No baseline"),
    ]).plus([compared("5", "both")])

    assert summary == DriftSummary(
        compared=4, not_compared=1, to_apply=2, conflicts=2, clio_only=1, parties_added=2, parties_removed=1
    )
    assert summary.something_to_apply
    assert DriftSummary.from_json(summary.to_json()) == summary


def test_conflicts_and_clio_edits_alone_are_nothing_to_apply() -> None:
    summary = DriftSummary().plus([compared("1", "both"), compared("2", "clio_only")])

    assert not summary.something_to_apply
    assert summary.lines() == ["1 matter is in conflict (changed in both systems)", "1 matter was edited in Clio Operate only"]
    assert DriftSummary.from_json(None) is None
