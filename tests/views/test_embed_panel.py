"""The embedded page opens the panel a portal link asked for, and nothing else."""

from __future__ import annotations

import re

import pytest

from tests.views.conftest import Service


def after(service: Service, query: str) -> str:
    page = service.client.get(f"/embed{query}")
    assert page.status_code == 200
    found = re.search(r'data-after="([^"]*)"', page.text)
    assert found is not None
    return found[1]


@pytest.mark.parametrize(
    ("query", "path"),
    [
        ("?panel=close-sync&environment=2", "/history/close-sync?environment=2"),
        ("?panel=auto-import&environment=1", "/history/auto-import?environment=1"),
        ("?panel=auto-import", "/history/auto-import"),
        ("?panel=close-sync&environment=2%26x%3Dy", "/history/close-sync"),
        ("?panel=https://evil.example/&environment=1", ""),
        ("?panel=settings", ""),
        ("", ""),
    ],
)
def test_only_a_known_panel_is_opened_after_sign_in(service: Service, query: str, path: str) -> None:
    assert after(service, query) == path
