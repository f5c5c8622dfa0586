"""Settings → Default Teams: the teams added to every imported matter of a work type, in a role.

A pairing is checked against the roles the work type allows (as loaded in Settings → Participant
Roles) when it is saved, and refused if the role does not take a team; and again each time the
list is shown, because the loaded roles can change after it was saved.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace

from clients.clio_models import ParticipantRole, Team, WorkType
from clients.errors import RemoteError, answer_or_error
from plugin.display_names import named
from plugin.errors import InvalidInput, NotFound
from plugin.mapping import concrete_work_types
from plugin.preview import _team_problem
from plugin.services import Services
from plugin.work_type_roles import Roles, not_loaded, roles_of
from store.repository import EnvironmentSettings
from store.teams import DefaultTeamEntry

EVERY_TYPE = "*"
ACL = "ACL"


@dataclass(frozen=True)
class SavedTeam:
    id: int
    work_type: str
    team_id: str
    team_name: str
    role: str
    problems: tuple[str, ...] = ()  # why imports will leave it out
    unchecked: str | None = None  # why it could not be checked


@dataclass
class TeamsOverview:
    teams: list[SavedTeam]
    work_types: list[WorkType] | None  # concrete; None when Clio Operate did not answer
    work_type: str  # chosen for adding ("" before one is chosen)
    query: str
    found: list[Team] | None = None  # teams matching the query, once searched
    roles: list[ParticipantRole] = field(default_factory=list)  # roles that take a team for the chosen type
    warnings: list[str] = field(default_factory=list)



async def overview(services: Services, env: EnvironmentSettings, work_type: str = "", query: str | None = None) -> TeamsOverview:
    """The saved pairings, each re-checked against the live roles; and, to add one, the teams
    matching ``query`` and the roles of ``work_type`` that take a team."""
    clio = services.remotes.clio(env)
    rows, tree, found = await asyncio.gather(
        services.db(services.store.teams.all, env.organisation_id, env.id),
        answer_or_error(clio.work_type_tree()),
        answer_or_error(clio.search_teams(query.strip())) if query is not None else _nothing(),
    )
    page = TeamsOverview([], None, work_type, query or "")
    if isinstance(tree, RemoteError):
        page.warnings.append(f"The work types could not be listed, so the default teams could not be checked: {tree}")
        page.teams = [replace(_saved(r), unchecked=str(tree)) for r in rows]
        return page
    page.work_types = named(concrete_work_types(tree), (await services.configuration(env)).work_type_names)
    concrete = [t.system_name for t in page.work_types]
    if work_type and work_type != EVERY_TYPE and work_type not in concrete:
        page.warnings.append(f"{work_type} is not a work type a matter can be created as in {env.name}: pick one from the list.")
        page.work_type = work_type = ""
    wanted = {r.work_type for r in rows} | ({work_type} if work_type else set())
    roles = await roles_of(services, env, _expand(wanted, concrete))
    page.teams = [_checked(r, roles, concrete) for r in rows]
    if isinstance(found, RemoteError):
        page.warnings.append(f"Teams could not be searched: {found}")
    elif found is not None:
        page.found = list(found)
    if work_type:
        page.roles = _team_roles(work_type, roles, concrete, page.warnings)
    return page


async def add_team(
    services: Services, env: EnvironmentSettings, actor: str, *, work_type: str, query: str, team_id: str, role: str
) -> SavedTeam:
    """Save a pairing, or refuse it saying why. The team is looked up again (by the search the
    administrator picked it from), so its name and type come from Clio Operate, not the form."""
    if not (work_type and team_id and role):
        raise InvalidInput("Choose a work type, a team and a role, then add.")
    clio = services.remotes.clio(env)
    tree, found = await asyncio.gather(clio.work_type_tree(), clio.search_teams(query.strip()))
    concrete = [t.system_name for t in concrete_work_types(tree)]
    if work_type != EVERY_TYPE and work_type not in concrete:
        raise InvalidInput(f"{work_type} is not a work type a matter can be created as in {env.name}.")
    team = next((t for t in found if t.id == team_id), None)
    if team is None:
        raise InvalidInput("That team was not found in Clio Operate: search for it again and pick it from the list.")
    if (team.team_type or "").upper() == ACL:
        raise InvalidInput(f"{team.name} is an ACL team: ACL teams only grant permissions and are not added to matters.")
    roles = await roles_of(services, env, _expand({work_type}, concrete))
    problems, unchecked = _pairing(role, work_type, roles, concrete)
    if unchecked:
        raise InvalidInput(f"{team.name} was not added: {unchecked}")
    if problems:
        raise InvalidInput(f"{team.name} was not added: {'; '.join(problems)}.")
    row = await services.db(
        services.store.teams.add, env.organisation_id, env.id,
        work_type=work_type, team_id=team.id, team_name=team.name, role=role, actor=actor,
    )
    if row is None:
        raise InvalidInput(f"{team.name} is already a default team of {describe(work_type)}: remove it first to change its role.")
    return _saved(row)


async def remove_team(services: Services, env: EnvironmentSettings, actor: str, default_team_id: int) -> SavedTeam:
    row = await services.db(services.store.teams.remove, env.organisation_id, env.id, default_team_id, actor=actor)
    if row is None:
        raise NotFound(f"That default team is not set for {env.name} (any more): reload the page.")
    return _saved(row)


def describe(work_type: str) -> str:
    return "every work type" if work_type == EVERY_TYPE else work_type


async def _nothing() -> None:
    return None


def _expand(work_types: set[str], concrete: list[str]) -> list[str]:
    """The concrete work types whose roles decide these pairings ("*" stands for all of them)."""
    if EVERY_TYPE in work_types:
        return concrete
    return sorted(work_types & set(concrete))


def _pairing(role: str, work_type: str, roles: dict[str, Roles], concrete: list[str]) -> tuple[list[str], str | None]:
    """Why ``role`` cannot take a team on ``work_type`` (every concrete type for "*"), and why
    the first type that could not be checked was not."""
    if work_type != EVERY_TYPE and work_type not in concrete:
        return [f"the work type {work_type} no longer exists, or matters can no longer be created as it"], None
    problems: list[str] = []
    unchecked: str | None = None
    for name in _expand({work_type}, concrete):
        known = roles[name]
        if known is None:
            unchecked = unchecked or not_loaded(name, "this pairing was not checked")
        elif problem := _team_problem(role, known, name):
            problems.append(problem.rstrip("."))
    return problems, unchecked


def _checked(team: DefaultTeamEntry, roles: dict[str, Roles], concrete: list[str]) -> SavedTeam:
    problems, unchecked = _pairing(team.role, team.work_type, roles, concrete)
    return replace(_saved(team), problems=tuple(problems), unchecked=unchecked)


def _saved(team: DefaultTeamEntry) -> SavedTeam:
    return SavedTeam(team.id, team.work_type, team.team_id, team.team_name, team.role)


def _team_roles(work_type: str, roles: dict[str, Roles], concrete: list[str], warnings: list[str]) -> list[ParticipantRole]:
    """The roles a team can be added in, on this work type (on every type, for "*")."""
    names = _expand({work_type}, concrete)
    missing = [n for n in names if roles[n] is None]
    if missing:
        warnings.append(not_loaded(", ".join(missing), "no role can be offered"))
        return []
    tables = [k for k in (roles[n] for n in names) if k is not None]
    if not tables:
        return []
    return [
        role
        for role in tables[0].values()
        if all(_team_problem(role.system_name, table, name) is None for table, name in zip(tables, names, strict=True))
    ]
