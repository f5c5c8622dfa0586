"""Where a Teams message sends its reader: the Clio Operate portal page hosting the widget, opening
the panel, or PMS Sync's own page when the environment has no portal page."""

from __future__ import annotations

from dataclasses import replace

import pytest

from plugin.portal_links import panel_link, panel_path
from store.repository import EnvironmentSettings

SERVICE = "https://pms-sync.example.test/"
ENV = EnvironmentSettings(
    id=7, organisation_id=1, name="Production", is_default=True, identity_url="https://firm-identity.example",
    api_url="https://firm.example", client_id="c", client_secret="s", portal_origins=("https://firm.example",),
    work_item_url_template="{api_url}/sharedo/{id}", agent_url="", agent_key=None, relay_key_name=None,
    relay_key=None, import_writes_enabled=True,
)


def test_without_a_portal_page_the_link_is_pms_syncs_own_page() -> None:
    assert panel_link(ENV, "close-sync", service_url=SERVICE) == "https://pms-sync.example.test/history/close-sync?environment=7"


@pytest.mark.parametrize(
    ("page", "link"),
    [
        ("https://firm.example/portal/pms-sync", "https://firm.example/portal/pms-sync?pms-sync-panel=auto-import&pms-sync-environment=7"),
        ("https://firm.example", "https://firm.example/?pms-sync-panel=auto-import&pms-sync-environment=7"),
        (  # the page's own query and fragment are kept; an old panel request is replaced
            "https://firm.example/portal/?page=42&pms-sync-panel=close-sync#/workspace",
            "https://firm.example/portal/?page=42&pms-sync-panel=auto-import&pms-sync-environment=7#/workspace",
        ),
    ],
)
def test_with_a_portal_page_the_link_asks_that_page_for_the_panel(page: str, link: str) -> None:
    assert panel_link(replace(ENV, portal_page_url=page), "auto-import", service_url=SERVICE) == link


def test_only_the_known_panels_are_linked() -> None:
    assert [panel_path(p) for p in ("close-sync", "auto-import")] == ["/history/close-sync", "/history/auto-import"]
    with pytest.raises(ValueError):
        panel_link(ENV, "settings/connections", service_url=SERVICE)


def test_the_changes_since_import_link_opens_history_drift() -> None:
    assert panel_path("drift") == "/history/drift"
    assert panel_link(ENV, "drift", service_url=SERVICE) == "https://pms-sync.example.test/history/drift?environment=7"
