from __future__ import annotations

import sqlite3
from pathlib import Path

from sandbox.aderant_db import (
    EXAMPLE_MATTERS,
    GENERATED_MATTER_FIRST_UNO,
    MARY_CITIZEN,
    PACIFIC_INSURANCE,
    create_aderant_db,
)


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


def columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in db.execute(f"PRAGMA table_info({table})")}


def test_schema_is_aderant_experts_not_the_agents_mapping(aderant_db_url: str) -> None:
    """Columns as Aderant's own deployment script writes them (ashokvundavalli/AderantDevops,
    Src/Package/DeployDatabase.ps1: INSERT INTO HBM_NAME (ADDRESS_UNO, MIDDLE_NAME, FIRST_NAME,
    LAST_NAME, NAME_SORT, NAME_UNO, NAME_TYPE, NAME, PEOPLE_NAME_UNO, INACTIVE, ...),
    HBM_NAME_PEOPLE (NUM_CHILD, SPOUSE_NAME_UNO, TITLE, SUFFIX, SALUTATION, GENDER, NAME_UNO, ...),
    HBM_PERSNL (EMAIL, NAME_UNO, LOGIN, PHONE_NO, DEPT, OFFC, EMPLOYEE_NAME, EMPLOYEE_CODE,
    INACTIVE, EMPL_UNO, POSITION, ...)); HBL_OFFICE.OFFC_DESC as public queries over Expert's
    HBL_OFFICE read it (reference/public-evidence.md)."""
    with sqlite3.connect(aderant_db_url.removeprefix("sqlite:///")) as db:
        tables = {
            name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        assert tables == {
            "HBM_MATTER", "HBM_CLIENT", "HBM_NAME", "HBM_NAME_PEOPLE", "HBM_ADDRESS",
            "HBM_PERSNL", "HBL_STATUS_MATT", "HBL_OFFICE", "HBL_DEPT", "HBL_MATT_TYPE",
            "_HBM_MATTER_PARTY", "_HBL_PARTY_ROLE",
        }
        assert {
            "NAME_UNO", "NAME", "NAME_SORT", "NAME_TYPE", "FIRST_NAME", "MIDDLE_NAME",
            "LAST_NAME", "ADDRESS_UNO", "PEOPLE_NAME_UNO", "INACTIVE",
        } <= columns(db, "HBM_NAME")
        assert {
            "NAME_UNO", "TITLE", "SUFFIX", "SALUTATION", "GENDER", "NUM_CHILD", "SPOUSE_NAME_UNO",
        } <= columns(db, "HBM_NAME_PEOPLE")
        assert not {"FIRST_NAME", "LAST_NAME"} & columns(db, "HBM_NAME_PEOPLE")
        assert {
            "EMPL_UNO", "NAME_UNO", "EMPLOYEE_CODE", "EMPLOYEE_NAME", "EMAIL", "LOGIN", "PHONE_NO",
            "OFFC", "DEPT", "POSITION", "INACTIVE",
        } <= columns(db, "HBM_PERSNL")
        assert {"OFFC_CODE", "OFFC_DESC"} <= columns(db, "HBL_OFFICE")
        assert {
            "MATTER_UNO", "CLIENT_UNO", "MATTER_CODE", "CLNT_MATT_CODE", "MATTER_NAME",
            "LONG_MATT_NAME", "OPEN_DATE", "CLOSE_DATE", "STATUS_CODE", "INACTIVE",
            "BILL_EMPL_UNO", "RESP_EMPL_UNO", "OFFC", "DEPT", "MATT_TYPE_CODE",
        } <= columns(db, "HBM_MATTER")


def test_names_are_stored_as_aderants_tooling_stores_them(aderant_db_url: str) -> None:
    """Person names in HBM_NAME, '' for a missing part and ADDRESS_UNO 0 for no address (as in
    ashokvundavalli/AderantDevops, Src/Package/DeployDatabase.ps1); title, salutation and
    gender of people in HBM_NAME_PEOPLE."""
    with sqlite3.connect(aderant_db_url.removeprefix("sqlite:///")) as db:
        mary = db.execute(
            "SELECT n.NAME_TYPE, n.FIRST_NAME, n.MIDDLE_NAME, n.LAST_NAME, n.NAME_SORT,"
            " p.TITLE, p.SALUTATION, p.GENDER"
            " FROM HBM_NAME n JOIN HBM_NAME_PEOPLE p ON p.NAME_UNO = n.NAME_UNO"
            " WHERE n.NAME_UNO = ?", (MARY_CITIZEN.name_uno,),
        ).fetchone()
        pacific = db.execute(
            "SELECT NAME_TYPE, FIRST_NAME, LAST_NAME, ADDRESS_UNO FROM HBM_NAME WHERE NAME_UNO = ?",
            (PACIFIC_INSURANCE.name_uno,),
        ).fetchone()
        organisations_with_people_rows = db.execute(
            "SELECT COUNT(*) FROM HBM_NAME n JOIN HBM_NAME_PEOPLE p ON p.NAME_UNO = n.NAME_UNO"
            " WHERE n.NAME_TYPE = 'O'"
        ).fetchone()
        employee_names = db.execute(
            "SELECT COUNT(*), COUNT(n.NAME_UNO) FROM HBM_PERSNL e"
            " LEFT JOIN HBM_NAME n ON n.NAME_UNO = e.NAME_UNO"
        ).fetchone()

    assert mary == ("P", "Mary", "", "Citizen", "CITIZEN, MARY", "Ms", "Mary", "F")
    assert pacific == ("O", "", "", 0)
    assert organisations_with_people_rows == (0,)
    assert employee_names[0] == employee_names[1] > 2
