"""Names people use: the preview shows Clio Operate's names for the work type, roles and key
dates, from what it already reads (the types tree at most every few minutes, the loaded roles)."""

from __future__ import annotations

import pytest

from clients.clio_models import WorkType
from clients.errors import RemoteUnavailable
from plugin.display_names import key_date_name, named, readable, work_type_name, work_type_names
from plugin.preview import preview_matter
from store.work_type_names import WorkTypeNamesStore
from store.work_type_roles import WorkTypeRolesStore
from tests.plugin.fakes import PARTIES, ROLES, matter, party, role

TREE = [
    WorkType("matter", "Matter", True, (
        WorkType("matter-litigation", "Litigation", False, ()),
        WorkType("matter-commercial", "matter-commercial", False, ()),  # a node without a name
    )),
]


@pytest.mark.parametrize(
    ("system_name", "name"),
    [("instruction-date", "Instruction date"), ("other_side", "Other side"), ("discovery", "Discovery"), ("", "")],
)
def test_readable_names(system_name: str, name: str) -> None:
    assert readable(system_name) == name


def test_a_key_dates_prefix_is_not_part_of_its_name() -> None:
    assert key_date_name("kd-instruction-date") == "Instruction date"
    assert key_date_name("kd-long-stop") == "Long stop"


def test_work_type_names_come_from_the_tree_else_read_from_the_system_name() -> None:
    names = work_type_names(TREE)
    assert work_type_name(names, "matter-litigation") == "Litigation"
    assert work_type_name(names, "matter-commercial") == "Matter commercial"
    assert work_type_name(names, "matter-unknown") == "Matter unknown"


def test_a_name_the_tree_sends_wins_over_a_loaded_one_which_wins_over_the_system_name() -> None:
    """The public tree carries no names (sharedo-mobile-core `src/infra/typesTree.js`); a tenant
    that sends one has it shown, else the name loaded from the modeller's tree."""
    names = work_type_names(TREE, {"matter-litigation": "Disputes", "matter-commercial": "Commercial"})
    assert work_type_name(names, "matter-litigation") == "Litigation"
    assert work_type_name(names, "matter-commercial") == "Commercial"
    assert work_type_name(names, "matter-property") == "Matter property"
    assert [t.name for t in named(list(TREE[0].children), {"matter-commercial": "Commercial"})] == ["Litigation", "Commercial"]


async def test_the_preview_names_the_work_type_roles_and_key_dates_as_clio_operate_does(world) -> None:  # type: ignore[no-untyped-def]
    services, env, agent, clio = world
    clio.work_types = TREE
    opponent = {**role("other-side", PARTIES), "name": "Opponent"}
    WorkTypeRolesStore(services.store.engine).load(
        env.organisation_id, env.id, {"matter-litigation": [r if r["systemName"] != "other-side" else opponent for r in ROLES]},
        source="roles.json", actor="admin@firm.test",
    )
    agent.matters["82001"] = matter(parties=(party(90002, "Coastal Freight Pty Ltd", "organisation"),))

    preview = await preview_matter(services, env, "82001")

    assert preview.mapped.work_type == "matter-litigation" and preview.work_type_name == "Litigation"
    by_role = {p.party.role: p.role_name for p in preview.parties}
    assert by_role["other-side"] == "Opponent"  # the loaded name, not the system name made readable
    assert by_role["client"] == "Client"
    assert preview.key_date_names == {"kd-instruction-date": "Instruction date"}
    assert clio.calls.count(("work_type_tree",)) == 1


async def test_the_preview_still_shows_when_the_tree_cannot_be_read(world) -> None:  # type: ignore[no-untyped-def]
    services, env, agent, clio = world
    agent.matters["82001"] = matter()

    async def unavailable() -> list[WorkType]:
        raise RemoteUnavailable("Clio Operate", "Production", "connection refused")

    clio.recent_work_type_tree = unavailable  # type: ignore[method-assign]
    preview = await preview_matter(services, env, "82001")

    assert preview.work_type_name == "Matter litigation"
    assert not preview.warnings


async def test_the_preview_uses_the_loaded_name_when_the_tree_sends_none(world) -> None:  # type: ignore[no-untyped-def]
    services, env, agent, clio = world
    clio.work_types = [WorkType("matter", "matter", True, (WorkType("matter-litigation", "matter-litigation", False, ()),))]
    WorkTypeNamesStore(services.store.engine).load(
        env.organisation_id, env.id, {"matter-litigation": {"name": "Disputes", "isAbstract": False}},
        source="sharedoTypes.json", actor="admin@firm.test",
    )
    agent.matters["82001"] = matter()

    assert (await preview_matter(services, env, "82001")).work_type_name == "Disputes"
