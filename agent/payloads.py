"""JSON shapes of the agent's HTTP API (version 1), as described in agent/README.md."""

from __future__ import annotations

from typing import Literal, TypedDict


class MatterSummary(TypedDict):
    matter_uno: int
    matter_number: str | None
    title: str | None
    client_uno: int | None
    client_code: str | None
    client_name: str | None
    status: str | None
    status_description: str | None
    closed: bool
    open_date: str | None
    close_date: str | None


class Lookup(TypedDict):
    code: str
    description: str | None


class Employee(TypedDict):
    empl_uno: int
    employee_code: str | None
    name: str | None


class Address(TypedDict):
    line1: str | None
    city: str | None
    state: str | None
    post_code: str | None
    country: str | None


class Party(TypedDict):
    name_uno: int
    kind: Literal["person", "organisation"]
    display_name: str | None
    first_name: str | None
    middle_name: str | None
    last_name: str | None
    organisation_name: str | None
    role_code: str | None
    role: str | None
    email: str | None
    phone: str | None
    address: Address | None


class MatterDetail(MatterSummary):
    """A matter without its parties, which are paged separately."""

    long_title: str | None
    matter_type: Lookup | None
    office: Lookup | None
    department: Lookup | None
    responsible_employee: Employee | None
    billing_employee: Employee | None
    client_party: Party | None


class MatterStatus(TypedDict):
    matter_uno: int
    matter_number: str | None
    status: str | None
    status_description: str | None
    closed: bool
    close_date: str | None
