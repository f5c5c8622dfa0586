"""The Teams message a scheduled run sends when something needs an administrator's action."""

from __future__ import annotations

from typing import Any

from clients.aderant_models import MatterSummary
from plugin.close_sync import CloseCandidate

LISTED = 10  # matters named in the card; the page has the rest


def action_card(
    environment: str, closes: list[CloseCandidate], imports: list[MatterSummary], *, links: dict[str, str]
) -> dict[str, Any]:
    """An Adaptive Card (1.4, within the Workflows webhook's limits) that says what and where."""
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "size": "Medium", "weight": "Bolder", "wrap": True,
         "text": f"PMS Sync: matters need your review in {environment}"},
    ]
    actions = []
    if closes:
        body += _section(
            f"{len(closes)} imported matters are closed in Aderant but still open in Clio Operate",
            [f"{c.matter_number} — {c.title or ''} (closed {c.close_date or 'in Aderant'})" for c in closes],
        )
        actions.append({"type": "Action.OpenUrl", "title": "Review close-sync", "url": links["close_sync"]})
    if imports:
        body += _section(
            f"{len(imports)} new Aderant matters of nominated clients are not imported yet",
            [f"{m.matter_number} — {m.title} ({m.client_code})" for m in imports],
        )
        actions.append({"type": "Action.OpenUrl", "title": "Review auto-import", "url": links["auto_import"]})
    return {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "actions": actions,
    }


def _section(title: str, lines: list[str]) -> list[dict[str, Any]]:
    shown = lines[:LISTED]
    more = len(lines) - len(shown)
    text = "\n".join(f"- {line}" for line in shown) + (f"\n- … and {more} more" if more else "")
    return [
        {"type": "TextBlock", "weight": "Bolder", "wrap": True, "spacing": "Medium", "text": title},
        {"type": "TextBlock", "wrap": True, "text": text},
    ]
