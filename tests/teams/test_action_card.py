"""The scheduled run's Teams card: within Teams' 28 KB message limit however many matters a run
finds, cut short with "and N more" and a link to the full list in PMS Sync.

The limit: "The message size limit is 28 KB. When the size exceeds 28 KB, you receive an error."
(MicrosoftDocs/msteams-docs msteams-platform/webhooks-and-connectors/how-to/add-incoming-webhook.md;
reference/relay-teams-siem.md §2.1 and §2.3). The sandbox's stand-in Teams refuses a larger message
with 413, as Teams' post actions do ("Request Entity Too Large").
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date

import httpx2
import pytest
from starlette.applications import Starlette

from clients.aderant_models import MatterSummary
from clients.errors import RemoteRejected
from clients.teams import MAX_BYTES, Card, CardLink, TeamsWebhook, fits, message_body
from plugin.close_sync import CloseCandidate
from plugin.drift_summary import DriftSummary
from plugin.notifications import action_card
from sandbox.teams import TeamsInbox

LINKS = {
    "close_sync": "https://pms-sync.example.test/history/close-sync?environment=1",
    "auto_import": "https://pms-sync.example.test/history/auto-import?environment=1",
    "drift": "https://pms-sync.example.test/history/drift?environment=1",
}
DRIFT = DriftSummary(compared=1200, to_apply=3, conflicts=2, clio_only=1, parties_added=2, parties_removed=1)
STAND_IN = "http://127.0.0.1:8001/teams/pms-sync"


def closes(count: int) -> list[CloseCandidate]:
    return [
        CloseCandidate(
            matter_number=str(80000 + n), matter_uno=str(n), work_item_id=f"wi-{n}", work_item_url=f"https://clio.test/{n}",
            title=f"Harbour Holdings Pty Ltd — lease dispute number {n}", work_type="matter-litigation",
            phase="open", aderant_status="CLOSE", close_date=date(2026, 10, 1),
        )
        for n in range(count)
    ]


def imports(count: int) -> list[MatterSummary]:
    return [
        MatterSummary(
            matter_uno=100000 + n, matter_number=str(90000 + n), title=f"Acquisition of Lot {n}, Sydney",
            client_uno=1, client_code="CL080001", client_name="Harbour Holdings Pty Ltd", status="OPEN",
            status_description="Open", closed=False, open_date=date(2026, 2, 1), close_date=None,
        )
        for n in range(count)
    ]


def texts(card: Card) -> list[str]:
    return [block.text for block in card.body]


def listed(card: Card, section: int) -> list[str]:
    """The matters named under the `section`-th heading (0: the first list)."""
    lists = [t.split("\n") for t in texts(card) if t.startswith("- ")]
    return lists[section]


@pytest.fixture
def inbox() -> TeamsInbox:
    return TeamsInbox()


@pytest.fixture
async def teams(inbox: TeamsInbox) -> AsyncIterator[TeamsWebhook]:
    transport = httpx2.ASGITransport(app=Starlette(routes=inbox.routes()))
    async with httpx2.AsyncClient(transport=transport) as http:
        yield TeamsWebhook(STAND_IN, http, environment_name="Production")


async def test_a_run_of_2000_candidates_is_cut_down_to_fit_and_accepted(teams: TeamsWebhook, inbox: TeamsInbox) -> None:
    run_closes, run_imports = closes(1000), imports(1000)
    uncut = action_card("Production", run_closes, run_imports, links=LINKS, fits=lambda card: True)
    card = action_card("Production", run_closes, run_imports, links=LINKS)

    assert len(message_body(uncut)) > MAX_BYTES
    with pytest.raises(RemoteRejected, match="Request Entity Too Large"):
        await teams.post_card(uncut)
    assert inbox.messages == {}, "the stand-in refused the uncut card"

    await teams.post_card(card)
    [message] = inbox.messages["pms-sync"]
    assert message["attachments"][0]["content"] == card.to_json()
    assert len(json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()) <= MAX_BYTES

    shown_closes, shown_imports = listed(card, 0), listed(card, 1)
    assert len(shown_closes) == len(shown_imports) > 10, "as many as fit, the same number in each list"
    assert shown_closes[0] == "- 80000 — Harbour Holdings Pty Ltd — lease dispute number 0 (closed 2026-10-01)"
    assert shown_imports[0] == "- 90000 — Acquisition of Lot 0, Sydney (CL080001)"
    more = 1000 - len(shown_closes)
    assert f"[… and {more} more in PMS Sync]({LINKS['close_sync']})" in texts(card)
    assert f"[… and {more} more in PMS Sync]({LINKS['auto_import']})" in texts(card)
    assert texts(card)[1] == "1000 imported matters are closed in Aderant but still open in Clio Operate"

    one_more = action_card(
        "Production", run_closes, run_imports, links=LINKS,
        fits=lambda c: len(listed(c, 0)) <= len(shown_closes) + 1,
    )
    assert not fits(one_more), "one more row each would not have fitted"


async def test_one_long_list_takes_the_room_a_short_one_leaves(teams: TeamsWebhook, inbox: TeamsInbox) -> None:
    card = action_card("Production", closes(3), imports(2000), links=LINKS)

    await teams.post_card(card)
    assert len(inbox.messages["pms-sync"]) == 1
    assert len(listed(card, 0)) == 3
    assert not any(LINKS["close_sync"] in t for t in texts(card)), "the short list is whole: no 'more' line"
    shown = len(listed(card, 1))
    assert shown > 200 and f"[… and {2000 - shown} more in PMS Sync]({LINKS['auto_import']})" in texts(card)


async def test_the_changes_since_import_are_counts_shown_whole_when_the_lists_are_cut(
    teams: TeamsWebhook, inbox: TeamsInbox
) -> None:
    card = action_card("Production", closes(1000), imports(1000), DRIFT, links=LINKS)

    await teams.post_card(card)
    assert len(inbox.messages["pms-sync"]) == 1
    assert len(listed(card, 0)) < 1000, "the lists of matters are cut to fit"
    assert texts(card)[-2:] == [
        "Changes in Aderant since import",
        "- 3 matters have changes in Aderant to apply\n- 2 matters are in conflict (changed in both systems)\n"
        "- 1 matter was edited in Clio Operate only\n- 2 parties added in Aderant\n- 1 party removed in Aderant",
    ]
    assert card.links[-1] == CardLink("Review changes since import", LINKS["drift"])


def test_no_drift_section_when_nothing_can_be_applied() -> None:
    nothing_to_apply = DriftSummary(compared=40, conflicts=2, clio_only=5)
    card = action_card("Production", closes(2), [], nothing_to_apply, links=LINKS)

    assert not any("since import" in t for t in texts(card))
    assert [link.url for link in card.links] == [LINKS["close_sync"]]


def test_a_small_run_names_every_matter_with_no_more_line() -> None:
    card = action_card("Production", closes(2), imports(15), links=LINKS)

    assert len(listed(card, 0)) == 2 and len(listed(card, 1)) == 15
    assert not any("more in PMS Sync" in t for t in texts(card))
    assert card.to_json()["type"] == "AdaptiveCard" and card.to_json()["version"] == "1.4"  # Teams renders at most 1.5 (§2.3)
    assert card.to_json()["actions"] == [{"type": "Action.OpenUrl", "title": t, "url": u} for t, u in [
        ("Review close-sync", LINKS["close_sync"]), ("Review auto-import", LINKS["auto_import"])
    ]]


@pytest.mark.parametrize(
    ("count", "close_title", "import_title"),
    [
        (1, "1 imported matter is closed in Aderant but still open in Clio Operate",
         "1 new Aderant matter of nominated clients is not imported yet"),
        (2, "2 imported matters are closed in Aderant but still open in Clio Operate",
         "2 new Aderant matters of nominated clients are not imported yet"),
    ],
)
def test_the_card_counts_in_words(count: int, close_title: str, import_title: str) -> None:
    card = action_card("Production", closes(count), imports(count), links=LINKS)
    assert close_title in texts(card) and import_title in texts(card)
