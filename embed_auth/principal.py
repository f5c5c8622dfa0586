from __future__ import annotations

from dataclasses import dataclass

ADMINISTRATOR = "administrator"
STAFF = "staff"


@dataclass(frozen=True)
class Principal:
    """Who is asking: a user of one organisation, signed in through one of its environments."""

    user_id: str
    user_name: str
    display_name: str
    organisation_id: int
    environment_id: int | None  # None when signed in outside Clio Operate
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == ADMINISTRATOR


def role_for(user_roles: tuple[str, ...], admin_roles: tuple[str, ...]) -> str:
    wanted = {r.casefold() for r in admin_roles}
    return ADMINISTRATOR if any(r.casefold() in wanted for r in user_roles) else STAFF
