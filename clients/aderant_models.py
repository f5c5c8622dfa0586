"""What the Aderant agent returns (agent/README.md, API version 1), as typed values.

`from_json` raises KeyError, TypeError or ValueError on a malformed payload; the client turns
those into RemoteError.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, Literal, TypeVar

T = TypeVar("T")
Json = dict[str, Any]


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


@dataclass(frozen=True)
class AgentHealth:
    """The agent's own health answer; `database` is "ok" or the agent's reason it is not."""

    database: str

    @property
    def database_ok(self) -> bool:
        return self.database == "ok"

    @classmethod
    def from_json(cls, data: Json) -> "AgentHealth":
        return cls(database=str(data["database"]))


@dataclass(frozen=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    next_offset: int | None


@dataclass(frozen=True)
class CodeDescription:
    code: str
    description: str

    @classmethod
    def from_json(cls, data: Json | None) -> "CodeDescription | None":
        return cls(code=data["code"], description=data["description"]) if data else None


@dataclass(frozen=True)
class Employee:
    empl_uno: int
    employee_code: str
    name: str

    @classmethod
    def from_json(cls, data: Json | None) -> "Employee | None":
        if not data:
            return None
        return cls(empl_uno=data["empl_uno"], employee_code=data["employee_code"], name=data["name"])


@dataclass(frozen=True)
class Address:
    line1: str | None
    city: str | None
    state: str | None
    post_code: str | None
    country: str | None

    @classmethod
    def from_json(cls, data: Json | None) -> "Address | None":
        if not data:
            return None
        return cls(
            line1=data.get("line1"),
            city=data.get("city"),
            state=data.get("state"),
            post_code=data.get("post_code"),
            country=data.get("country"),
        )


PartyKind = Literal["person", "organisation"]


@dataclass(frozen=True)
class Party:
    name_uno: int
    kind: PartyKind
    display_name: str
    first_name: str | None
    middle_name: str | None
    last_name: str | None
    organisation_name: str | None
    role_code: str | None
    role: str | None
    email: str | None
    phone: str | None
    address: Address | None

    @classmethod
    def from_json(cls, data: Json) -> "Party":
        if data["kind"] not in ("person", "organisation"):
            raise ValueError(f"unknown party kind {data['kind']!r}")
        return cls(
            name_uno=data["name_uno"],
            kind=data["kind"],
            display_name=data["display_name"] or _name_of(data),
            first_name=data.get("first_name"),
            middle_name=data.get("middle_name"),
            last_name=data.get("last_name"),
            organisation_name=data.get("organisation_name"),
            role_code=data.get("role_code"),
            role=data.get("role"),
            email=data.get("email"),
            phone=data.get("phone"),
            address=Address.from_json(data.get("address")),
        )


@dataclass(frozen=True)
class MatterSummary:
    matter_uno: int
    matter_number: str
    title: str  # "" when blank in Aderant, as are the client code and name
    client_uno: int
    client_code: str
    client_name: str
    status: str | None
    status_description: str | None
    closed: bool
    open_date: date | None
    close_date: date | None

    @classmethod
    def summary_fields(cls, data: Json) -> Json:
        return {
            "matter_uno": data["matter_uno"],
            "matter_number": data["matter_number"],
            "title": data["title"] or "",
            "client_uno": data["client_uno"],
            "client_code": data["client_code"] or "",
            "client_name": data["client_name"] or "",
            "status": data.get("status"),
            "status_description": data.get("status_description"),
            "closed": bool(data["closed"]),
            "open_date": _date(data.get("open_date")),
            "close_date": _date(data.get("close_date")),
        }

    @classmethod
    def from_json(cls, data: Json) -> "MatterSummary":
        return cls(**cls.summary_fields(data))


@dataclass(frozen=True)
class MatterDetail(MatterSummary):
    """A matter with everything an import needs; the client returns it with every party page."""

    long_title: str | None
    matter_type: CodeDescription | None
    office: CodeDescription | None
    department: CodeDescription | None
    responsible_employee: Employee | None
    billing_employee: Employee | None
    client_party: Party | None  # None: the client has no name in Aderant
    parties: tuple[Party, ...]

    @classmethod
    def from_json(cls, data: Json) -> "MatterDetail":
        return cls(
            **cls.summary_fields(data),
            long_title=data.get("long_title"),
            matter_type=CodeDescription.from_json(data.get("matter_type")),
            office=CodeDescription.from_json(data.get("office")),
            department=CodeDescription.from_json(data.get("department")),
            responsible_employee=Employee.from_json(data.get("responsible_employee")),
            billing_employee=Employee.from_json(data.get("billing_employee")),
            client_party=Party.from_json(data["client_party"]) if data.get("client_party") else None,
            parties=tuple(Party.from_json(party) for party in data["parties"]),
        )


@dataclass(frozen=True)
class MatterStatus:
    matter_uno: int
    matter_number: str
    status: str | None
    status_description: str | None
    closed: bool
    close_date: date | None

    @classmethod
    def from_json(cls, data: Json) -> "MatterStatus":
        return cls(
            matter_uno=data["matter_uno"],
            matter_number=data["matter_number"],
            status=data.get("status"),
            status_description=data.get("status_description"),
            closed=bool(data["closed"]),
            close_date=_date(data.get("close_date")),
        )


def _name_of(party: Json) -> str:
    """A name for a party whose name in Aderant is blank: its parts, else its Aderant name number."""
    parts = [party.get(k) for k in ("first_name", "middle_name", "last_name")]
    return " ".join(p for p in parts if p) or party.get("organisation_name") or f"Aderant name {party['name_uno']}"
