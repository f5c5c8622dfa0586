"""An environment's Clio Operate shape settings, kept in `Environment.clio_settings`.

They cover what the public sources leave open or a tenant may change (docs/remote-shapes.md):
route overrides by name, the participant role the importing user is added in (or none), and
the body of the team search. An administrator edits them in Settings → Connections; a stored
value that is no longer valid is ignored, so the documented default applies.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeGuard, get_args

from clients.clio_operate import TeamSearchBody
from clients.clio_routes import DEFAULT_ROUTES, ClioRoutes, route_override_problems

DEFAULT_USER_ROLE = "contributor"
TEAM_SEARCH_BODIES: tuple[str, ...] = get_args(TeamSearchBody)


def is_team_search_body(value: object) -> TypeGuard[TeamSearchBody]:
    return value in TEAM_SEARCH_BODIES


@dataclass(frozen=True)
class ClioShapeSettings:
    routes: Mapping[str, str] = field(default_factory=dict)  # route name → path template
    user_participant_role: str | None = DEFAULT_USER_ROLE  # None: the importing user is not added
    team_search_body: TeamSearchBody = "minimal"

    @classmethod
    def of(cls, stored: Mapping[str, Any]) -> ClioShapeSettings:
        raw_routes = stored.get("routes")
        routes = {
            name: path
            for name, path in (raw_routes.items() if isinstance(raw_routes, Mapping) else ())
            if isinstance(path, str) and not route_override_problems({name: path})
        }
        role = stored.get("user_participant_role", DEFAULT_USER_ROLE)
        body = stored.get("team_search_body")
        return cls(
            routes=routes,
            user_participant_role=role if isinstance(role, str) and role else None,
            team_search_body=body if is_team_search_body(body) else "minimal",
        )

    def to_json(self) -> dict[str, Any]:
        """What is stored; `routes` holds only the overridden routes."""
        return {
            "routes": dict(self.routes),
            "user_participant_role": self.user_participant_role,
            "team_search_body": self.team_search_body,
        }

    @property
    def clio_routes(self) -> ClioRoutes:
        return DEFAULT_ROUTES.with_overrides(self.routes)
