from __future__ import annotations

from dataclasses import dataclass

ADMINISTRATOR = "administrator"
STAFF = "staff"


class AccessRefused(Exception):
    """The caller may not act here. The message is safe to show and to log."""


@dataclass(frozen=True)
class Principal:
    """Who is asking: a user of one organisation, signed in through one of its environments."""

    user_id: str
    user_name: str
    display_name: str
    organisation_id: int
    environment_id: int | None  # None when signed in outside Clio Operate
    role: str
    identity_provider: str | None = None  # the tenant's identity provider of the user, when known

    @property
    def is_admin(self) -> bool:
        return self.role == ADMINISTRATOR

    @property
    def clio_user_id(self) -> str | None:
        """The user's Clio Operate id (`userId` of userInfo, also their ODS person id), known only
        when they signed in through Clio Operate: `user_id` holds it then, or the user name when
        userInfo had none. A member signed in outside Clio Operate has none."""
        if self.environment_id is None or self.user_id == self.user_name:
            return None
        return self.user_id


def role_for(user_roles: tuple[str, ...], admin_roles: tuple[str, ...]) -> str:
    wanted = {r.casefold() for r in admin_roles}
    return ADMINISTRATOR if any(r.casefold() in wanted for r in user_roles) else STAFF
