from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from sandbox.aderant_db import EXAMPLE_MATTERS, GENERATED_MATTER_FIRST_UNO, create_aderant_db


def seeded_dump(path: Path, **options: int) -> list[str]:
    create_aderant_db(f"sqlite:///{path}", **options)
    with sqlite3.connect(path) as db:
        return list(db.iterdump())


def test_same_seed_gives_the_same_database(tmp_path: Path) -> None:
    first = seeded_dump(tmp_path / "a.db", generated_matters=200, seed=7)
    again = seeded_dump(tmp_path / "b.db", generated_matters=200, seed=7)
    other = seeded_dump(tmp_path / "c.db", generated_matters=200, seed=8)

    assert first == again
    assert first != other


def test_reseeding_replaces_the_previous_data(tmp_path: Path) -> None:
    path = tmp_path / "aderant.db"
    seeded_dump(path, generated_matters=50)

    dump = seeded_dump(path, generated_matters=10)

    with sqlite3.connect(path) as db:
        (count,) = db.execute("SELECT COUNT(*) FROM HBM_MATTER").fetchone()
    assert count == len(EXAMPLE_MATTERS) + 10
    assert dump == seeded_dump(tmp_path / "fresh.db", generated_matters=10)


def test_generated_matters_are_spread_realistically(aderant_db_url: str) -> None:
    with sqlite3.connect(aderant_db_url.removeprefix("sqlite:///")) as db:
        generated = db.execute(
            "SELECT COUNT(*), SUM(STATUS_CODE <> 'OPEN'), COUNT(DISTINCT CLIENT_UNO),"
            " MIN(OPEN_DATE), MAX(OPEN_DATE), COUNT(DISTINCT OFFC), COUNT(DISTINCT RESP_EMPL_UNO)"
            " FROM HBM_MATTER WHERE MATTER_UNO >= ?",
            (GENERATED_MATTER_FIRST_UNO,),
        ).fetchone()
        party_counts = [count for (count,) in db.execute(
            "SELECT COUNT(p.NAME_UNO) FROM HBM_MATTER m"
            " LEFT JOIN _HBM_MATTER_PARTY p ON p.MATTER_UNO = m.MATTER_UNO"
            " WHERE m.MATTER_UNO >= ? GROUP BY m.MATTER_UNO",
            (GENERATED_MATTER_FIRST_UNO,),
        )]

    count, closed, clients, first_open, last_open, offices, employees = generated
    assert count == 3000
    assert 0.10 < closed / count < 0.20
    assert clients > 250
    assert first_open.startswith("2018") and last_open.startswith("2026")
    assert offices == 3
    assert employees == 40
    assert (min(party_counts), max(party_counts)) == (0, 4)


def test_seeding_3000_matters_is_fast(tmp_path: Path) -> None:
    started = time.perf_counter()
    create_aderant_db(f"sqlite:///{tmp_path / 'timed.db'}", generated_matters=3000)

    assert time.perf_counter() - started < 2.0
