"""Mappings of two firms and the second firm's own tables, for tests that run the agent on both.

The first firm is the sandbox database read with the bundled mapping. The second firm keeps
matters, clients, names and addresses in Aderant's tables but has its own layout for the rest,
so its mapping differs in every way a mapping can:

- parties come from its own participant table, which also lists employees (``PART_TYPE`` 'E')
  and withdrawn parties (``INACTIVE`` 'Y'): two link filters keep only the parties;
- party roles and matter types share one firm code table (the same physical table under two
  logical names, each with its own ``CODE_TYPE`` filter);
- e-mail and phone come from a contact table keyed by name, one row per kind of contact;
- ``HBM_NAME.NAME_TYPE`` is 'I' (individual) or 'C' (company).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

from agent.schema import DEFAULT_MAPPING_PATH

SECOND_FIRM_SCHEMA = """
CREATE TABLE _MATTER_PARTICIPANT (
    PARTICIPANT_UNO INTEGER PRIMARY KEY,
    MATTER_UNO INTEGER NOT NULL,
    PARTY_NAME_UNO INTEGER NOT NULL,
    PART_TYPE CHAR(1) NOT NULL,
    ROLE VARCHAR(5) NOT NULL,
    INACTIVE CHAR(1) NOT NULL
);
CREATE TABLE _FIRM_CODE (
    CODE_TYPE VARCHAR(10) NOT NULL,
    CODE VARCHAR(5) NOT NULL,
    DESCRIPTION VARCHAR(40),
    PRIMARY KEY (CODE_TYPE, CODE)
);
CREATE TABLE _NAME_CONTACT (
    NAME_UNO INTEGER NOT NULL,
    CONTACT_KIND VARCHAR(5) NOT NULL,
    EMAIL_ADDR VARCHAR(120),
    PHONE_NUM VARCHAR(30),
    PRIMARY KEY (NAME_UNO, CONTACT_KIND)
);
"""

SECOND_FIRM_DATA = """
INSERT INTO _MATTER_PARTICIPANT (MATTER_UNO, PARTY_NAME_UNO, PART_TYPE, ROLE, INACTIVE)
    SELECT MATTER_UNO, NAME_UNO, 'P', PARTY_ROLE_CODE, 'N' FROM _HBM_MATTER_PARTY;
-- noise the link filters must drop: the responsible employee, and a withdrawn party
INSERT INTO _MATTER_PARTICIPANT (MATTER_UNO, PARTY_NAME_UNO, PART_TYPE, ROLE, INACTIVE)
    SELECT m.MATTER_UNO, p.NAME_UNO, 'E', 'RESP', 'N'
    FROM HBM_MATTER m JOIN HBM_PERSNL p ON p.EMPL_UNO = m.RESP_EMPL_UNO;
INSERT INTO _MATTER_PARTICIPANT (MATTER_UNO, PARTY_NAME_UNO, PART_TYPE, ROLE, INACTIVE)
    SELECT MATTER_UNO, 90005, 'P', 'ADV', 'Y' FROM HBM_MATTER;

INSERT INTO _FIRM_CODE SELECT 'PARTYROLE', ROLE_CODE, ROLE_DESC FROM _HBL_PARTY_ROLE;
INSERT INTO _FIRM_CODE SELECT 'MATTTYPE', MATT_TYPE_CODE, MATT_TYPE_DESC FROM HBL_MATT_TYPE;
-- the same codes with other meanings, which the CODE_TYPE filters must keep apart
INSERT INTO _FIRM_CODE SELECT 'BILLING', ROLE_CODE, 'Billing ' || ROLE_DESC FROM _HBL_PARTY_ROLE;
INSERT INTO _FIRM_CODE SELECT 'BILLING', MATT_TYPE_CODE, 'Billing ' || MATT_TYPE_DESC
    FROM HBL_MATT_TYPE WHERE MATT_TYPE_CODE NOT IN (SELECT ROLE_CODE FROM _HBL_PARTY_ROLE);

INSERT INTO _NAME_CONTACT
    SELECT n.NAME_UNO, 'MAIN', a.EMAIL, a.PHONE
    FROM HBM_NAME n JOIN HBM_ADDRESS a ON a.ADDRESS_UNO = n.ADDRESS_UNO
    WHERE a.EMAIL IS NOT NULL OR a.PHONE IS NOT NULL;
INSERT INTO _NAME_CONTACT SELECT NAME_UNO, 'OLD', 'old@example.org', '000' FROM HBM_NAME;

UPDATE HBM_NAME SET NAME_TYPE = CASE NAME_TYPE WHEN 'P' THEN 'I' WHEN 'O' THEN 'C' END;

DROP TABLE _HBM_MATTER_PARTY;
DROP TABLE _HBL_PARTY_ROLE;
DROP TABLE HBL_MATT_TYPE;
ALTER TABLE HBM_ADDRESS DROP COLUMN EMAIL;
ALTER TABLE HBM_ADDRESS DROP COLUMN PHONE;
"""


def default_mapping() -> dict[str, Any]:
    return json.loads(DEFAULT_MAPPING_PATH.read_text(encoding="utf-8"))


def write_mapping(path: Path, mapping: dict[str, Any]) -> Path:
    path.write_text(json.dumps(mapping), encoding="utf-8")
    return path


def second_firm_mapping() -> dict[str, Any]:
    mapping = default_mapping()
    mapping["name_type_codes"] = {"person": ["I"], "organisation": ["C"]}
    tables = mapping["tables"]
    tables["matter_party"] = {
        "name": "_MATTER_PARTICIPANT",
        "columns": {"matter_uno": "MATTER_UNO", "name_uno": "PARTY_NAME_UNO", "role_code": "ROLE"},
        "filters": {"PART_TYPE": "P", "INACTIVE": "N"},
    }
    tables["party_role"] = {
        "name": "_FIRM_CODE",
        "columns": {"code": "CODE", "description": "DESCRIPTION"},
        "filters": {"CODE_TYPE": "PARTYROLE"},
    }
    tables["matter_type"] = {
        "name": "_FIRM_CODE",
        "columns": {"code": "CODE", "description": "DESCRIPTION"},
        "filters": {"CODE_TYPE": "MATTTYPE"},
    }
    tables["contact"] = {
        "name": "_NAME_CONTACT",
        "columns": {"name_uno": "NAME_UNO", "email": "EMAIL_ADDR", "phone": "PHONE_NUM"},
        "filters": {"CONTACT_KIND": "MAIN"},
    }
    return mapping


def without_link_table_mapping() -> dict[str, Any]:
    """A firm whose matters have no party link: the client is the only party."""
    mapping = default_mapping()
    del mapping["tables"]["matter_party"]
    del mapping["tables"]["party_role"]
    return mapping


def build_second_firm_db(sandbox_db: Path, target: Path) -> str:
    """The second firm's database: the sandbox's data, with the firm's own tables in place of
    the sandbox's party, role, matter-type and contact columns. Returns its URL."""
    shutil.copyfile(sandbox_db, target)
    with sqlite3.connect(target) as db:
        db.executescript(SECOND_FIRM_SCHEMA + SECOND_FIRM_DATA)
    return f"sqlite:///{target}"
