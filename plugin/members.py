"""Who may sign in to an organisation outside Clio Operate, and with which role.

Administrators manage members on the Members page; the first administrator of a new organisation
is made from the command line (``pms-sync admin bootstrap``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from plugin.errors import Forbidden, InvalidInput, NotFound
from plugin.services import Services
from plugin.setup import create_organisation
from store.members import ROLES, LastAdministrator, Member, MemberExists, MemberNotFound, email_address
from store.repository import Store

__all__ = [
    "ROLES",
    "Bootstrap",
    "OrganisationAccess",
    "add_member",
    "bootstrap_administrator",
    "change_role",
    "organisation_access",
    "members",
    "remove_member",
    "set_organisation_access",
]

BOOTSTRAP_ACTOR = "pms-sync admin bootstrap"



def _email(value: str) -> str:
    email = email_address(value)
    if email is None:
        raise InvalidInput("Enter the member's e-mail address, for example name@firm.example.")
    return email


def _role(value: str) -> str | None:
    """A role from the form: administrator, staff, or empty for a member without a role."""
    if value == "":
        return None
    if value not in ROLES:
        raise InvalidInput("Choose Administrator, Staff or No role.")
    return value


def _name(value: str) -> str:
    name = value.strip()
    if len(name) > 200:
        raise InvalidInput("The name can be at most 200 characters.")
    return name


@contextlib.contextmanager
def _plain_errors(doing: str) -> Iterator[None]:
    """The store's refusals in words; ``doing`` completes "You cannot … X"."""
    try:
        yield
    except MemberExists as exc:
        raise InvalidInput(f"{exc} is already a member: change their role in the list instead.") from None
    except MemberNotFound:
        raise NotFound("That member is no longer in your organisation: reload the page.") from None
    except LastAdministrator as exc:
        raise Forbidden(
            f"You cannot {doing} {exc}: they are the organisation's last administrator. "
            "Make another member an administrator first."
        ) from None


async def members(services: Services, organisation_id: int) -> list[Member]:
    return await services.db(services.store.members.members, organisation_id)


async def add_member(
    services: Services, organisation_id: int, actor: str, email: str, display_name: str, role: str
) -> Member:
    address, name, chosen = _email(email), _name(display_name), _role(role)
    with _plain_errors("add"):
        return await services.db(services.store.members.add, organisation_id, address, name, chosen, actor=actor)


async def change_role(services: Services, organisation_id: int, actor: str, member_id: int, role: str) -> Member:
    chosen = _role(role)
    with _plain_errors("take the administrator role from"):
        return await services.db(services.store.members.set_role, organisation_id, member_id, chosen, actor=actor)


async def remove_member(services: Services, organisation_id: int, actor: str, member_id: int) -> Member:
    with _plain_errors("remove"):
        return await services.db(services.store.members.remove, organisation_id, member_id, actor=actor)


@dataclass(frozen=True)
class OrganisationAccess:
    """The organisation's Clio Operate roles, used by every environment that lists none of its own,
    and who a refused portal user should ask."""

    admin_roles: tuple[str, ...]
    staff_roles: tuple[str, ...]
    contact: str


MAX_ROLES, MAX_ROLE_LENGTH, MAX_CONTACT_LENGTH = 50, 200, 200


async def organisation_access(services: Services, organisation_id: int) -> OrganisationAccess:
    store = services.store
    return OrganisationAccess(
        await services.db(store.admin_roles, organisation_id),
        await services.db(store.staff_roles, organisation_id),
        await services.db(store.access_contact, organisation_id),
    )


async def set_organisation_access(
    services: Services, organisation_id: int, actor: str, admin_roles: str, staff_roles: str, contact: str
) -> list[str]:
    """Save the organisation's default roles (one per line, or comma-separated) and its access
    contact; audited per changed field."""
    admin, staff = _role_names(admin_roles, "Administrator roles"), _role_names(staff_roles, "Staff roles")
    contact = " ".join(contact.split())
    if len(contact) > MAX_CONTACT_LENGTH or not contact.isprintable():
        raise InvalidInput(f"Who to ask: up to {MAX_CONTACT_LENGTH} characters on one line.")
    return await services.db(
        services.store.set_organisation_access, organisation_id,
        admin_roles=admin, staff_roles=staff, contact=contact, actor=actor,
    )


def _role_names(text: str, label: str) -> list[str]:
    names = list(dict.fromkeys(item.strip() for item in text.replace(",", "\n").splitlines() if item.strip()))
    if len(names) > MAX_ROLES or any(len(name) > MAX_ROLE_LENGTH or not name.isprintable() for name in names):
        raise InvalidInput(
            f"{label}: list at most {MAX_ROLES} Clio Operate role system names, each up to {MAX_ROLE_LENGTH} characters."
        )
    return names


@dataclass(frozen=True)
class Bootstrap:
    organisation_id: int
    email: str
    organisation_created: bool
    member_changed: bool  # False when the e-mail was already an administrator


def bootstrap_administrator(store: Store, organisation: str, email: str, display_name: str = "") -> Bootstrap:
    """Create the organisation if missing and make the e-mail one of its administrators. Idempotent."""
    address, name = _email(email), _name(display_name)
    existed = store.organisation_by_name(organisation) is not None
    organisation_id = create_organisation(store, organisation, ())
    changed = store.members.ensure_administrator(organisation_id, address, name, actor=BOOTSTRAP_ACTOR)
    return Bootstrap(organisation_id, address, not existed, changed)
