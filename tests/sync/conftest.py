"""Scheduled-sync tests change Aderant statuses, so each gets its own copy of the Aderant database."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import date

import pytest

from sandbox.aderant_db import create_aderant_db
from tests.views.conftest import Service, service  # noqa: F401  (the app + sandbox fixture)


@pytest.fixture(scope="session")
def aderant_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("aderant-template") / "aderant.db"
    create_aderant_db(f"sqlite:///{path}", generated_matters=300)
    return str(path)


@pytest.fixture
def aderant_db(aderant_template: str, tmp_path) -> str:  # type: ignore[no-untyped-def]
    copy = tmp_path / "aderant.db"
    shutil.copy(aderant_template, copy)
    return f"sqlite:///{copy}"


def set_status(service: Service, matter_uno: int, status: str, close_date: date | None) -> None:
    with sqlite3.connect(service.aderant_url.removeprefix("sqlite:///")) as db:
        db.execute(
            "UPDATE HBM_MATTER SET STATUS_CODE = ?, CLOSE_DATE = ? WHERE MATTER_UNO = ?",
            (status, close_date.isoformat() if close_date else None, matter_uno),
        )


def import_matter(service: Service, number: str, environment: int = 1) -> str:
    response = service.client.post(f"/api/v1/matters/{number}/import?environment={environment}", json={}, headers=service.bearer())
    assert response.status_code == 201, response.text
    return response.json()["work_item_id"]
