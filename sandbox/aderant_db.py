"""A seeded Aderant Expert database for the agent: the user-guide examples plus generated matters.

The tables are a fixed subset of Aderant Expert's own, with the table and column names and types
public sources show (reference/aderant.md; ``HBM_NAME``, ``HBM_NAME_PEOPLE`` and ``HBM_PERSNL``
as Aderant's deployment script ``Src/Package/DeployDatabase.ps1`` in ashokvundavalli/AderantDevops
writes them). They do not depend on the agent's mapping: the bundled mapping reads them, and a
firm's different layout is a different mapping over a different database. The matter-party link
and its role codes are not public, so they live in firm-defined (leading ``_``) tables.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import CHAR, Column, DateTime, Index, Integer, MetaData, String, Table, create_engine

Row = dict[str, Any]


@dataclass(frozen=True)
class SeededEmployee:
    empl_uno: int
    code: str
    name: str


@dataclass(frozen=True)
class SeededAddress:
    line1: str
    city: str
    state: str
    post_code: str
    country: str = "AU"


@dataclass(frozen=True)
class SeededName:
    """An HBM_NAME row: ``kind`` is NAME_TYPE, 'P' person or 'O' organisation. A person also
    has an HBM_NAME_PEOPLE row with ``title`` and ``gender`` ('N' when not given, as Aderant's
    own deployment script writes it)."""

    name_uno: int
    name: str
    kind: Literal["P", "O"]
    first_name: str | None = None
    last_name: str | None = None
    title: str = ""
    gender: Literal["F", "M", "N"] = "N"
    email: str | None = None
    phone: str | None = None
    address: SeededAddress | None = None


@dataclass(frozen=True)
class SeededClient:
    client_uno: int
    code: str
    name: SeededName


@dataclass(frozen=True)
class SeededMatter:
    matter_uno: int
    number: str
    title: str
    long_title: str
    status: str
    open_date: date
    close_date: date | None
    office: str
    department: str
    matter_type: str
    parties: tuple[tuple[int, str], ...]
    """(NAME_UNO, role code) of each linked party."""


STATUSES = {"OPEN": "Open", "CLOSE": "Closed", "FINAL": "Final bill"}
OFFICES = {"SYD": "Sydney", "MEL": "Melbourne", "BNE": "Brisbane"}
DEPARTMENTS = {"LIT": "Litigation", "COM": "Commercial", "PRO": "Property", "PC": "Private Client"}
MATTER_TYPES = {"LIT": "Litigation", "ADV": "Advisory", "CONV": "Conveyancing", "EST": "Estates"}
PARTY_ROLES = {
    "ADV": "Adverse party",
    "WIT": "Witness",
    "SOL": "Other side solicitor",
    "INT": "Interested party",
}

JANE_SMITH = SeededEmployee(501, "JSM", "Jane Smith")
RAJ_PATEL = SeededEmployee(502, "RPA", "Raj Patel")

HARBOUR_HOLDINGS = SeededClient(
    client_uno=8001,
    code="CL080001",
    name=SeededName(
        90001, "Harbour Holdings Pty Ltd", "O",
        email="accounts@harbourholdings.example.com", phone="+61 2 5550 0100",
        address=SeededAddress("1 Circular Quay", "Sydney", "NSW", "2000"),
    ),
)
COASTAL_FREIGHT = SeededName(
    90002, "Coastal Freight Pty Ltd", "O", phone="+61 2 5550 0142",
    address=SeededAddress("12 Wharf Road", "Port Botany", "NSW", "2036"),
)
MARY_CITIZEN = SeededName(
    90003, "Mary Citizen", "P", first_name="Mary", last_name="Citizen", title="Ms", gender="F",
    email="mary.citizen@example.com",
    address=SeededAddress("4 Example Street", "Newtown", "NSW", "2042"),
)
DANIEL_OBRIEN = SeededName(
    90004, "Daniel O'Brien", "P", first_name="Daniel", last_name="O'Brien", title="Mr", gender="M",
    email="daniel.obrien@example.com",
)
PACIFIC_INSURANCE = SeededName(90005, "Pacific Insurance Group Ltd", "O")
LEE_WONG = SeededName(90006, "Lee Wong", "P", first_name="Lee", last_name="Wong")
# The parties of 82008, each with a fault a preview notes: a person recorded as an organisation;
# an e-mail and a phone that do not parse; the same person under two Aderant names.
NORA_QUILL = SeededName(90007, "Nora Quill", "O", email="nora.quill@example.com")
SAM_ORTEGA = SeededName(
    90008, "Sam Ortega", "P", first_name="Sam", last_name="Ortega", title="Mr", gender="M",
    email="sam.ortega@example", phone="5550 01",
)
PRIYA_SHAH = SeededName(
    90009, "Priya Shah", "P", first_name="Priya", last_name="Shah", email="priya.shah@example.com",
)
PRIYA_SHAH_AGAIN = SeededName(
    90010, "Priya Shah", "P", first_name="Priya", last_name="Shah", phone="+61 2 5550 0199",
)
EXAMPLE_PARTIES = (
    COASTAL_FREIGHT, MARY_CITIZEN, DANIEL_OBRIEN, PACIFIC_INSURANCE, LEE_WONG,
    NORA_QUILL, SAM_ORTEGA, PRIYA_SHAH, PRIYA_SHAH_AGAIN,
)

MANY_PARTIES_FIRST_NAME_UNO = 90100
MANY_PARTIES_COUNT = 50
ONE_PARTY_NAME_UNO = 90200
TEN_PARTIES_FIRST_NAME_UNO = 90300
FIFTY_PARTIES_FIRST_NAME_UNO = 90400


def _cycled_roles(first_name_uno: int, count: int) -> tuple[tuple[int, str], ...]:
    """``count`` consecutive NAME_UNOs, their roles cycling through every party role."""
    return tuple(
        (first_name_uno + index, tuple(PARTY_ROLES)[index % len(PARTY_ROLES)])
        for index in range(count)
    )


LITIGATION_MATTER = SeededMatter(
    matter_uno=82001,
    number="82001",
    title="Harbour Holdings v Coastal Freight",
    long_title="Harbour Holdings Pty Ltd v Coastal Freight Pty Ltd — recovery of freight charges",
    status="OPEN",
    open_date=date(2026, 3, 2),
    close_date=None,
    office="SYD",
    department="LIT",
    matter_type="LIT",
    parties=(
        (COASTAL_FREIGHT.name_uno, "ADV"),
        (MARY_CITIZEN.name_uno, "WIT"),
        (DANIEL_OBRIEN.name_uno, "SOL"),
        (PACIFIC_INSURANCE.name_uno, "INT"),
    ),
)
LEASE_REVIEW_MATTER = SeededMatter(
    matter_uno=82002,
    number="82002",
    title="Harbour Holdings — lease review",
    long_title="Harbour Holdings Pty Ltd — review of the Circular Quay office lease",
    status="CLOSE",
    open_date=date(2025, 8, 11),
    close_date=date(2026, 6, 30),
    office="SYD",
    department="COM",
    matter_type="ADV",
    parties=((MARY_CITIZEN.name_uno, "WIT"),),
)
EMPLOYMENT_ADVICE_MATTER = SeededMatter(
    matter_uno=82003,
    number="82003",
    title="Harbour Holdings — employment advice",
    long_title="Harbour Holdings Pty Ltd — advice on employment contracts",
    status="OPEN",
    open_date=date(2026, 1, 15),
    close_date=None,
    office="SYD",
    department="COM",
    matter_type="ADV",
    parties=((LEE_WONG.name_uno, "INT"),),
)
MANY_PARTIES_MATTER = SeededMatter(
    matter_uno=82004,
    number="82004",
    title="Harbour Holdings v Many Parties",
    long_title="Harbour Holdings Pty Ltd v Many Parties — multi-party recovery proceedings",
    status="OPEN",
    open_date=date(2026, 4, 20),
    close_date=None,
    office="SYD",
    department="LIT",
    matter_type="LIT",
    parties=_cycled_roles(MANY_PARTIES_FIRST_NAME_UNO, MANY_PARTIES_COUNT),
)
# Litigation matters of 1, 10 and 50 parties for the import benchmark
# (benchmarks/import_depth.py). Every party has a role matter-litigation allows for its kind
# (witnesses are people), so they import with the default mapping, as 82004 does.
ONE_PARTY_MATTER = SeededMatter(
    matter_uno=82005,
    number="82005",
    title="Harbour Holdings v One Party",
    long_title="Harbour Holdings Pty Ltd v One Party — recovery of unpaid invoices",
    status="OPEN",
    open_date=date(2025, 5, 5),
    close_date=None,
    office="SYD",
    department="LIT",
    matter_type="LIT",
    parties=((ONE_PARTY_NAME_UNO, "ADV"),),
)
TEN_PARTIES_MATTER = SeededMatter(
    matter_uno=82006,
    number="82006",
    title="Harbour Holdings v Ten Parties",
    long_title="Harbour Holdings Pty Ltd v Ten Parties — contribution claims",
    status="OPEN",
    open_date=date(2025, 6, 2),
    close_date=None,
    office="SYD",
    department="LIT",
    matter_type="LIT",
    parties=_cycled_roles(TEN_PARTIES_FIRST_NAME_UNO, 10),
)
FIFTY_PARTIES_MATTER = SeededMatter(
    matter_uno=82007,
    number="82007",
    title="Harbour Holdings v Fifty Parties",
    long_title="Harbour Holdings Pty Ltd v Fifty Parties — class recovery proceedings",
    status="OPEN",
    open_date=date(2025, 7, 7),
    close_date=None,
    office="SYD",
    department="LIT",
    matter_type="LIT",
    parties=_cycled_roles(FIFTY_PARTIES_FIRST_NAME_UNO, 50),
)
# Aderant data with faults a preview notes (plugin/data_quality.py): besides its parties', the
# open date 2062 (for 2026) makes its key date, the instruction date, one in the future. Mary
# Citizen is on it too, so a link remembered for her shows in its auto-import plan.
DATA_QUALITY_MATTER = SeededMatter(
    matter_uno=82008,
    number="82008",
    title="Harbour Holdings v Ortega",
    long_title="Harbour Holdings Pty Ltd v Sam Ortega — claim under a guarantee",
    status="OPEN",
    open_date=date(2062, 3, 2),
    close_date=None,
    office="SYD",
    department="LIT",
    matter_type="LIT",
    parties=(
        (SAM_ORTEGA.name_uno, "ADV"),
        (NORA_QUILL.name_uno, "INT"),
        (PRIYA_SHAH.name_uno, "INT"),
        (PRIYA_SHAH_AGAIN.name_uno, "WIT"),
        (MARY_CITIZEN.name_uno, "INT"),
    ),
)
BENCHMARK_MATTERS = (ONE_PARTY_MATTER, TEN_PARTIES_MATTER, FIFTY_PARTIES_MATTER)
GENERATED_PARTY_MATTERS = (MANY_PARTIES_MATTER, *BENCHMARK_MATTERS)
"""Example matters whose parties are generated names (each from its own matter's seed)."""
EXAMPLE_MATTERS = (
    LITIGATION_MATTER, LEASE_REVIEW_MATTER, EMPLOYMENT_ADVICE_MATTER, *GENERATED_PARTY_MATTERS, DATA_QUALITY_MATTER,
)

GENERATED_MATTER_FIRST_UNO = 100_000
GENERATED_NUMBER_OFFSET = 10_000  # generated matter 100000 is numbered 90000
GENERATED_CLIENT_FIRST_UNO = 100_000
GENERATED_CLIENTS = 300
GENERATED_EMPLOYEES = 38
NAME_POOL_SIZE = 3000
NAME_POOL_FIRST_UNO = 200_000
CLIENT_NAME_FIRST_UNO = 300_000
FIRST_OPEN_DATE = date(2018, 1, 1)
LAST_OPEN_DATE = date(2026, 6, 30)
CLOSED_SHARE = 0.15

FIRST_NAMES = (
    "Olivia", "Jack", "Charlotte", "William", "Amelia", "Noah", "Isla", "Oliver", "Mia",
    "Thomas", "Ava", "James", "Grace", "Henry", "Chloe", "Lucas", "Zoe", "Samuel", "Ruby",
    "Ethan", "Sophie", "Liam", "Emily", "Harrison", "Matilda", "Aiden", "Evie", "Hamish",
    "Priya", "Arjun", "Mei", "Hiroshi", "Fatima", "Omar", "Elena", "Marco", "Siobhan",
    "Connor", "Aroha", "Tane", "Nguyen", "Linh", "Sanjay", "Anika", "Dmitri", "Katerina",
    "Giulia", "Luca", "Ines", "Mateo", "Hana", "Kenji", "Amara", "Kofi", "Leila", "Yusuf",
)
LAST_NAMES = (
    "Anderson", "Brown", "Campbell", "Davies", "Edwards", "Fraser", "Gallagher", "Harris",
    "Irwin", "Jackson", "Kelly", "Lawson", "Mitchell", "Nguyen", "Osborne", "Papadopoulos",
    "Quinn", "Robertson", "Singh", "Thompson", "Underwood", "Vasquez", "Walker", "Young",
    "Zhang", "Murphy", "McKenzie", "Chen", "Kowalski", "Rossi", "Tanaka", "Haddad", "Okafor",
    "Sullivan", "Bennett", "Fitzgerald", "Hughes", "Kaur", "Lim", "Morrison", "Novak",
    "Petrov", "Russo", "Stewart", "Tran", "Whitfield", "Ahmed", "Baker", "Costa", "Duffy",
)
COMPANY_WORDS = (
    "Summit", "Redgum", "Bluewater", "Ironbark", "Southern Cross", "Granite", "Wattle",
    "Silver Fern", "Meridian", "Northgate", "Kestrel", "Banksia", "Outback", "Riverbend",
    "Highline", "Sterling", "Eastbrook", "Goldfields", "Tasman", "Coral Bay", "Jacaranda",
    "Blackwood", "Westport", "Evergreen", "Lighthouse", "Kingsford", "Birchwood", "Sapphire",
)
COMPANY_TRADES = (
    "Logistics", "Constructions", "Property Group", "Capital", "Engineering", "Foods",
    "Mining", "Health", "Retail", "Energy", "Developments", "Transport", "Agriculture",
    "Technologies", "Hospitality", "Finance", "Manufacturing", "Consulting",
)
COMPANY_SUFFIXES = ("Pty Ltd", "Pty Ltd", "Pty Ltd", "Ltd", "Limited", "& Co", "Holdings Pty Ltd")
STREETS = (
    "George Street", "Collins Street", "Queen Street", "King William Street", "Hay Street",
    "Bourke Street", "Pitt Street", "Elizabeth Street", "Adelaide Street", "Macquarie Street",
    "Smith Street", "Chapel Street", "Oxford Street", "Church Street", "Victoria Road",
)
LOCALITIES = (
    ("Sydney", "NSW", "2000"), ("Parramatta", "NSW", "2150"), ("Newcastle", "NSW", "2300"),
    ("Melbourne", "VIC", "3000"), ("Geelong", "VIC", "3220"), ("Brisbane", "QLD", "4000"),
    ("Gold Coast", "QLD", "4217"), ("Adelaide", "SA", "5000"), ("Perth", "WA", "6000"),
    ("Hobart", "TAS", "7000"), ("Canberra", "ACT", "2600"), ("Darwin", "NT", "0800"),
)
AREA_CODES = {"NSW": "2", "ACT": "2", "VIC": "3", "TAS": "3", "QLD": "7", "SA": "8", "WA": "8",
              "NT": "8"}
ADVICE_TOPICS = (
    "employment contracts", "shareholder agreement", "supply agreement", "privacy review",
    "franchise agreement", "restructure", "joint venture", "licensing terms", "debt recovery",
)
PRACTICE_AREAS = (("LIT", "LIT"), ("COM", "ADV"), ("PRO", "CONV"), ("PC", "EST"), ("COM", "LIT"))

NO_ADDRESS = 0
"""Aderant's own tooling writes ``ADDRESS_UNO`` 0, not NULL, for a name without an address."""

METADATA = MetaData()


def _code(name: str, length: int = 4, **options: Any) -> Column[Any]:
    return Column(name, String(length), **options)


HBM_MATTER = Table(
    "HBM_MATTER", METADATA,
    Column("MATTER_UNO", Integer, primary_key=True),
    Column("CLIENT_UNO", Integer),
    _code("MATTER_CODE", 10),
    Column("MATTER_NUMBER", Integer),
    _code("CLNT_MATT_CODE", 21),
    Column("MATTER_NAME", String(40)),
    Column("LONG_MATT_NAME", String(250)),
    Column("OPEN_DATE", DateTime),
    Column("CLOSE_DATE", DateTime),
    _code("STATUS_CODE", 5),
    Column("INACTIVE", CHAR(1)),
    Column("BILL_EMPL_UNO", Integer),
    Column("RESP_EMPL_UNO", Integer),
    _code("OFFC"),
    _code("DEPT"),
    _code("PROF"),
    _code("MATT_TYPE_CODE"),
)
HBM_CLIENT = Table(
    "HBM_CLIENT", METADATA,
    Column("CLIENT_UNO", Integer, primary_key=True),
    # char(10) in Aderant; stored unpadded here, which compares as SQL Server compares char
    # (trailing blanks ignored). EMPLOYEE_CODE is stored padded to exercise the agent's trimming.
    Column("CLIENT_CODE", CHAR(10)),
    Column("CLIENT_NUMBER", Integer),
    Column("CLIENT_NAME", String(80)),
    Column("NAME_UNO", Integer),
    Column("ADDRESS_UNO", Integer),
    Column("INACTIVE", CHAR(1)),
)
HBM_NAME = Table(
    "HBM_NAME", METADATA,
    Column("NAME_UNO", Integer, primary_key=True),
    Column("NAME", String(120)),
    Column("NAME_SORT", String(120)),
    Column("NAME_TYPE", CHAR(1)),
    Column("FIRST_NAME", String(40)),
    Column("MIDDLE_NAME", String(40)),
    Column("LAST_NAME", String(60)),
    Column("ADDRESS_UNO", Integer),
    Column("PEOPLE_NAME_UNO", Integer),
    Column("INACTIVE", CHAR(1)),
)
HBM_NAME_PEOPLE = Table(
    "HBM_NAME_PEOPLE", METADATA,
    Column("NAME_UNO", Integer, primary_key=True),
    Column("TITLE", String(10)),
    Column("SUFFIX", String(10)),
    Column("SALUTATION", String(40)),
    Column("GENDER", CHAR(1)),
    Column("NUM_CHILD", Integer),
    Column("SPOUSE_NAME_UNO", Integer),
)
HBM_ADDRESS = Table(
    "HBM_ADDRESS", METADATA,
    Column("ADDRESS_UNO", Integer, primary_key=True),
    Column("NAME_UNO", Integer),
    _code("ADDRESS_TYPE", 5),
    Column("ADDRESS1", String(80)),
    Column("ADDRESS2", String(80)),
    Column("CITY", String(40)),
    _code("STATE_CODE", 10),
    _code("POST_CODE", 10),
    _code("COUNTRY_CODE", 10),
    Column("EMAIL", String(120)),
    Column("PHONE", String(30)),
)
HBM_PERSNL = Table(
    "HBM_PERSNL", METADATA,
    Column("EMPL_UNO", Integer, primary_key=True),
    Column("NAME_UNO", Integer),
    Column("EMPLOYEE_CODE", CHAR(6)),
    Column("EMPLOYEE_NAME", String(40)),
    Column("LOGIN", String(60)),
    Column("EMAIL", String(120)),
    Column("PHONE_NO", String(30)),
    _code("OFFC"),
    _code("DEPT"),
    Column("POSITION", String(40)),
    Column("INACTIVE", CHAR(1)),
)
HBL_STATUS_MATT = Table(
    "HBL_STATUS_MATT", METADATA,
    _code("STATUS_CODE", 5, primary_key=True), Column("STATUS_DESC", String(40)),
)
HBL_OFFICE = Table(
    "HBL_OFFICE", METADATA,
    _code("OFFC_CODE", primary_key=True), Column("OFFC_DESC", String(40)),
    Column("INACTIVE", CHAR(1)),
)
HBL_DEPT = Table(
    "HBL_DEPT", METADATA,
    _code("DEPT_CODE", primary_key=True), Column("DEPT_DESC", String(40)),
    Column("INACTIVE", CHAR(1)),
)
HBL_MATT_TYPE = Table(
    "HBL_MATT_TYPE", METADATA,
    _code("MATT_TYPE_CODE", primary_key=True), Column("MATT_TYPE_DESC", String(40)),
)
MATTER_PARTY = Table(
    "_HBM_MATTER_PARTY", METADATA,
    Column("MATTER_UNO", Integer, primary_key=True),
    Column("NAME_UNO", Integer, primary_key=True),
    _code("PARTY_ROLE_CODE", 5, primary_key=True),
)
PARTY_ROLE = Table(
    "_HBL_PARTY_ROLE", METADATA,
    _code("ROLE_CODE", 5, primary_key=True), Column("ROLE_DESC", String(40)),
)
# The indexes an Expert database has on the codes staff search by and on the keys matters are
# joined on (inferred: Aderant publishes no schema, but every Expert query filters and joins on
# these). The codes are indexed NOCASE: SQLite's LIKE ignores ASCII case and then uses only a
# NOCASE index for `LIKE 'x%'`, as SQL Server's case-insensitive collation uses its plain index.
SEARCH_INDEXES = (
    Index("IX_HBM_MATTER_MATTER_CODE", HBM_MATTER.c.MATTER_CODE.collate("NOCASE")),
    Index("IX_HBM_MATTER_CLNT_MATT_CODE", HBM_MATTER.c.CLNT_MATT_CODE.collate("NOCASE")),
    Index("IX_HBM_MATTER_MATTER_NUMBER", HBM_MATTER.c.MATTER_NUMBER),
    Index("IX_HBM_MATTER_CLIENT_UNO", HBM_MATTER.c.CLIENT_UNO),
    Index("IX_HBM_CLIENT_CLIENT_CODE", HBM_CLIENT.c.CLIENT_CODE.collate("NOCASE")),
    Index("IX_HBM_MATTER_PARTY_NAME_UNO", MATTER_PARTY.c.NAME_UNO),
)
LOOKUPS = (
    (HBL_STATUS_MATT, STATUSES), (HBL_OFFICE, OFFICES), (HBL_DEPT, DEPARTMENTS),
    (HBL_MATT_TYPE, MATTER_TYPES), (PARTY_ROLE, PARTY_ROLES),
)
EMPLOYEE_NAME_FIRST_UNO = 400_000


def create_aderant_db(database_url: str, *, generated_matters: int = 3000, seed: int = 42) -> None:
    """(Re)create the Aderant tables in ``database_url`` and fill them; same seed, same data.

    Use a file URL: a plain in-memory SQLite database vanishes when this function returns.
    """
    rows = _SeedRows()
    _add_examples(rows)
    _add_generated(rows, random.Random(seed), generated_matters)
    engine = create_engine(database_url)
    try:
        METADATA.drop_all(engine)
        METADATA.create_all(engine)
        with engine.begin() as conn:
            for table in METADATA.sorted_tables:
                if rows.by_table[table.name]:
                    conn.execute(table.insert(), rows.by_table[table.name])
    finally:
        engine.dispose()


class _SeedRows:
    """Rows per table, keyed by column name; every row of a table names the same columns."""

    def __init__(self) -> None:
        self.by_table: dict[str, list[Row]] = {name: [] for name in METADATA.tables}

    def add(self, table: Table, **values: Any) -> None:
        self.by_table[table.name].append(values)

    def add_name(self, name: SeededName, middle_name: str | None = None) -> None:
        sort_key = f"{name.last_name}, {name.first_name}" if name.kind == "P" else name.name
        address = name.address
        address_uno = _address_uno(name)
        self.add(
            HBM_NAME, NAME_UNO=name.name_uno, NAME=name.name, NAME_SORT=sort_key.upper(),
            NAME_TYPE=name.kind,
            # Aderant's tooling writes '' rather than NULL for a missing name part
            FIRST_NAME=name.first_name or "", MIDDLE_NAME=middle_name or "",
            LAST_NAME=name.last_name or "",
            ADDRESS_UNO=address_uno, PEOPLE_NAME_UNO=0,
            INACTIVE="N",
        )
        if name.kind == "P":
            self.add(
                HBM_NAME_PEOPLE, NAME_UNO=name.name_uno, TITLE=name.title, SUFFIX="",
                SALUTATION=name.first_name, GENDER=name.gender, NUM_CHILD=0, SPOUSE_NAME_UNO=0,
            )
        if address_uno != NO_ADDRESS:
            self.add(
                HBM_ADDRESS, ADDRESS_UNO=address_uno, NAME_UNO=name.name_uno,
                ADDRESS_TYPE="MAIN", ADDRESS1=address.line1 if address else None, ADDRESS2=None,
                CITY=address.city if address else None,
                STATE_CODE=address.state if address else None,
                POST_CODE=address.post_code if address else None,
                COUNTRY_CODE=address.country if address else None,
                EMAIL=name.email, PHONE=name.phone,
            )

    def add_employee(self, employee: SeededEmployee) -> None:
        first, _, last = employee.name.partition(" ")
        name_uno = EMPLOYEE_NAME_FIRST_UNO + employee.empl_uno
        self.add_name(SeededName(name_uno, employee.name, "P", first_name=first, last_name=last))
        # EMPLOYEE_CODE is char(6) in Aderant: store it padded, as SQL Server would
        self.add(
            HBM_PERSNL, EMPL_UNO=employee.empl_uno, NAME_UNO=name_uno,
            EMPLOYEE_CODE=employee.code.ljust(6), EMPLOYEE_NAME=employee.name,
            LOGIN=employee.code, EMAIL=f"{first}.{last}@firm.example.com".lower(),
            PHONE_NO="", OFFC=tuple(OFFICES)[employee.empl_uno % len(OFFICES)],
            DEPT=tuple(DEPARTMENTS)[employee.empl_uno % len(DEPARTMENTS)], POSITION="Lawyer",
            INACTIVE="N",
        )

    def add_client(self, client: SeededClient, middle_name: str | None = None) -> None:
        self.add(
            HBM_CLIENT, CLIENT_UNO=client.client_uno, CLIENT_CODE=client.code,
            CLIENT_NUMBER=client.client_uno, CLIENT_NAME=client.name.name,
            NAME_UNO=client.name.name_uno, ADDRESS_UNO=_address_uno(client.name), INACTIVE="N",
        )
        self.add_name(client.name, middle_name)

    def add_matter(
        self, matter: SeededMatter, client: SeededClient, responsible: int, billing: int
    ) -> None:
        self.add(
            HBM_MATTER, MATTER_UNO=matter.matter_uno, CLIENT_UNO=client.client_uno,
            MATTER_CODE=matter.number, MATTER_NUMBER=int(matter.number),
            CLNT_MATT_CODE=f"{client.code}.{matter.number}", MATTER_NAME=matter.title,
            LONG_MATT_NAME=matter.long_title, OPEN_DATE=_midnight(matter.open_date),
            CLOSE_DATE=_midnight(matter.close_date), STATUS_CODE=matter.status,
            INACTIVE="N" if matter.close_date is None else "Y",
            BILL_EMPL_UNO=billing, RESP_EMPL_UNO=responsible, OFFC=matter.office,
            DEPT=matter.department, PROF=matter.department, MATT_TYPE_CODE=matter.matter_type,
        )
        for name_uno, role_code in matter.parties:
            self.add(MATTER_PARTY, MATTER_UNO=matter.matter_uno, NAME_UNO=name_uno,
                     PARTY_ROLE_CODE=role_code)


def _address_uno(name: SeededName) -> int:
    """A name has an address row (numbered as the name) when it has postal or contact details."""
    has_address = name.address is not None or name.email is not None or name.phone is not None
    return name.name_uno if has_address else NO_ADDRESS


def _add_examples(rows: _SeedRows) -> None:
    for table, descriptions in LOOKUPS:
        for code, description in descriptions.items():
            # code, description and, where the table has one, INACTIVE
            rows.add(table, **dict(zip(table.c.keys(), (code, description, "N"), strict=False)))
    rows.add_employee(JANE_SMITH)
    rows.add_employee(RAJ_PATEL)
    client = HARBOUR_HOLDINGS
    rows.add_client(client)
    for party in EXAMPLE_PARTIES:
        rows.add_name(party)
    for matter in GENERATED_PARTY_MATTERS:
        names = random.Random(matter.matter_uno)  # the same whatever the seed
        for name_uno, role in matter.parties:
            witness = role == "WIT"  # a witness is a person
            rows.add_name(_random_name(names, name_uno, person_share=1.0 if witness else 0.6))
    for matter in EXAMPLE_MATTERS:
        rows.add_matter(matter, client, JANE_SMITH.empl_uno, RAJ_PATEL.empl_uno)


def _add_generated(rows: _SeedRows, rng: random.Random, matter_count: int) -> None:
    employees = _generated_employees(rng)
    for employee in employees:
        rows.add_employee(employee)
    employee_unos = [JANE_SMITH.empl_uno, RAJ_PATEL.empl_uno, *(e.empl_uno for e in employees)]

    clients: list[SeededClient] = []
    for index in range(GENERATED_CLIENTS):
        name = _random_name(rng, CLIENT_NAME_FIRST_UNO + index, person_share=0.3)
        client = SeededClient(GENERATED_CLIENT_FIRST_UNO + index,
                               f"CL{GENERATED_CLIENT_FIRST_UNO + index}", name)
        rows.add_client(client, middle_name=_middle_name(rng, name))
        clients.append(client)

    pool = [_random_name(rng, NAME_POOL_FIRST_UNO + index) for index in range(NAME_POOL_SIZE)]
    for name in pool:
        rows.add_name(name, middle_name=_middle_name(rng, name))

    for index in range(matter_count):
        client = rng.choice(clients)
        parties = rng.sample(pool, rng.randint(0, 4))
        department, matter_type = rng.choice(PRACTICE_AREAS)
        opened = FIRST_OPEN_DATE + timedelta(
            days=rng.randrange((LAST_OPEN_DATE - FIRST_OPEN_DATE).days + 1)
        )
        closed = rng.random() < CLOSED_SHARE
        title, long_title = _matter_titles(rng, client.name, matter_type, parties)
        matter_uno = GENERATED_MATTER_FIRST_UNO + index
        matter = SeededMatter(
            matter_uno=matter_uno,
            number=str(matter_uno - GENERATED_NUMBER_OFFSET),  # the display number is not the internal id
            title=title[:40].rstrip(),
            long_title=long_title[:250],
            status=rng.choice(("CLOSE", "FINAL")) if closed else "OPEN",
            open_date=opened,
            close_date=opened + timedelta(days=rng.randint(30, 900)) if closed else None,
            office=rng.choice(tuple(OFFICES)),
            department=department,
            matter_type=matter_type,
            parties=tuple(
                (party.name_uno, "ADV" if position == 0 and matter_type == "LIT"
                 else rng.choice(tuple(PARTY_ROLES)))
                for position, party in enumerate(parties)
            ),
        )
        rows.add_matter(matter, client, rng.choice(employee_unos), rng.choice(employee_unos))


def _generated_employees(rng: random.Random) -> list[SeededEmployee]:
    used = {JANE_SMITH.code, RAJ_PATEL.code}
    employees = []
    for index in range(GENERATED_EMPLOYEES):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        code = f"{first[0]}{last[:2]}".upper()
        suffix = 1
        while code in used:
            code, suffix = f"{first[0]}{last[0]}{suffix}".upper(), suffix + 1
        used.add(code)
        employees.append(SeededEmployee(JANE_SMITH.empl_uno + 2 + index, code, f"{first} {last}"))
    return employees


def _random_name(rng: random.Random, name_uno: int, *, person_share: float = 0.6) -> SeededName:
    locality = rng.choice(LOCALITIES)
    address = (
        SeededAddress(f"{rng.randint(1, 400)} {rng.choice(STREETS)}", *locality)
        if rng.random() < 0.85 else None
    )
    phone = (
        f"+61 {AREA_CODES[locality[1]]} 5550 {rng.randrange(10_000):04d}"
        if rng.random() < 0.7 else None
    )
    if rng.random() < person_share:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        email = f"{first}.{last}@example.com".lower() if rng.random() < 0.8 else None
        return SeededName(name_uno, f"{first} {last}", "P", first_name=first, last_name=last,
                           email=email, phone=phone, address=address)
    stem = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_TRADES)}"
    email = f"info@{stem.replace(' ', '').lower()}.example.net" if rng.random() < 0.6 else None
    return SeededName(name_uno, f"{stem} {rng.choice(COMPANY_SUFFIXES)}", "O", email=email,
                       phone=phone, address=address)


def _middle_name(rng: random.Random, name: SeededName) -> str | None:
    return rng.choice(FIRST_NAMES) if name.kind == "P" and rng.random() < 0.3 else None


def _matter_titles(
    rng: random.Random, client: SeededName, matter_type: str, parties: list[SeededName]
) -> tuple[str, str]:
    short = _short_name(client)
    if matter_type == "LIT" and parties:
        return f"{short} v {_short_name(parties[0])}", f"{client.name} v {parties[0].name}"
    if matter_type == "CONV":
        street = f"{rng.randint(1, 200)} {rng.choice(STREETS)}"
        return f"{short} — purchase of {street}", f"{client.name} — purchase of {street}"
    if matter_type == "EST":
        deceased = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        return f"Estate of the late {deceased}", f"{client.name} — estate of the late {deceased}"
    topic = rng.choice(ADVICE_TOPICS)
    return f"{short} — {topic}", f"{client.name} — advice on {topic}"


def _short_name(name: SeededName) -> str:
    if name.kind == "P":
        return name.last_name or name.name
    return name.name.removesuffix(" Pty Ltd").removesuffix(" Ltd").removesuffix(" Limited")


def _midnight(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, datetime.min.time())
