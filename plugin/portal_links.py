"""Links into a panel of PMS Sync (Close-sync, Auto-import, Drift) for messages sent outside it.

An environment whose Portal page URL is set is linked through the Clio Operate portal page that
hosts the widget: the page's address with `pms-sync-panel` and `pms-sync-environment` added to its
query. The widget passes them on to the iframe (`/embed?panel=…&environment=…`), which opens the
panel once the user is signed in, so the link lands where the user is signed in as their Clio
Operate user. Without a portal page, the link is PMS Sync's own page.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from plugin.services import EnvironmentSettings

PANELS = ("close-sync", "auto-import", "drift")
PANEL_PARAM = "pms-sync-panel"
ENVIRONMENT_PARAM = "pms-sync-environment"


def panel_path(panel: str) -> str:
    """PMS Sync's own path of a panel."""
    if panel not in PANELS:
        raise ValueError(f"unknown panel {panel!r}")
    return f"/history/{panel}"


def panel_link(env: EnvironmentSettings, panel: str, *, service_url: str) -> str:
    """Where a message about `panel` of `env` sends the reader."""
    path = panel_path(panel)
    if not env.portal_page_url:
        return f"{service_url.rstrip('/')}{path}?{urlencode({'environment': env.id})}"
    page = urlsplit(env.portal_page_url)
    kept = [(k, v) for k, v in parse_qsl(page.query, keep_blank_values=True) if k not in (PANEL_PARAM, ENVIRONMENT_PARAM)]
    query = urlencode([*kept, (PANEL_PARAM, panel), (ENVIRONMENT_PARAM, str(env.id))])
    return urlunsplit((page.scheme, page.netloc, page.path or "/", query, page.fragment))
