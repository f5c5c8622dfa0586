"""The Teams message a scheduled run sends when something needs an administrator's action."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from clients import teams
from clients.aderant_models import MatterSummary
from clients.teams import Card, CardLink, CardText
from plugin.close_sync import CloseCandidate
from plugin.drift_summary import DriftSummary


@dataclass(frozen=True)
class _Section:
    title: str
    lines: list[str]
    link: str  # the full list in PMS Sync
    action: str
    cut: bool = True  # a list of matters, named as many as fit; else counts, always shown whole


def action_card(
    environment: str,
    closes: list[CloseCandidate],
    imports: list[MatterSummary],
    drift: DriftSummary | None = None,
    *,
    links: dict[str, str],
    fits: Callable[[Card], bool] = teams.fits,
) -> Card:
    """An Adaptive Card (1.4: Teams renders at most 1.5) that says what and where.

    It names as many matters as fit in one Teams message (`fits`); a list cut short ends with
    "and N more", linking to the full list in PMS Sync. The changes since import (`drift`) are
    counts, shown when some can be applied."""
    sections = []
    if closes:
        sections.append(_Section(
            f"{_matters(len(closes), 'imported matter is', 'imported matters are')} closed in Aderant but still open in Clio Operate",
            [f"{c.matter_number} — {c.title or ''} (closed {c.close_date or 'in Aderant'})" for c in closes],
            links["close_sync"], "Review close-sync",
        ))
    if imports:
        sections.append(_Section(
            f"{_matters(len(imports), 'new Aderant matter', 'new Aderant matters')} of nominated clients "
            f"{'is' if len(imports) == 1 else 'are'} not imported yet",
            [f"{m.matter_number} — {m.title} ({m.client_code})" for m in imports],
            links["auto_import"], "Review auto-import",
        ))
    if drift is not None and drift.something_to_apply:
        sections.append(_Section(
            "Changes in Aderant since import", drift.lines(), links["drift"], "Review changes since import", cut=False,
        ))
    # The most rows per list that fit: a binary search, each step measuring the card as sent.
    fitting, too_many = 0, max((len(s.lines) for s in sections if s.cut), default=0) + 1
    while too_many - fitting > 1:
        rows = (fitting + too_many) // 2
        if fits(_card(environment, sections, rows)):
            fitting = rows
        else:
            too_many = rows
    return _card(environment, sections, fitting)


def _card(environment: str, sections: list[_Section], rows: int) -> Card:
    """The card with at most `rows` matters named in each list."""
    body = [CardText(f"PMS Sync: matters need your review in {environment}", "title")]
    for section in sections:
        shown = section.lines[:rows] if section.cut else section.lines
        body.append(CardText(section.title, "heading"))
        if shown:
            body.append(CardText("\n".join(f"- {line}" for line in shown)))
        if len(shown) < len(section.lines):
            more = len(section.lines) - len(shown)
            body.append(CardText(f"[… and {more} more in PMS Sync]({section.link})"))
    return Card(tuple(body), tuple(CardLink(s.action, s.link) for s in sections))


def _matters(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"
