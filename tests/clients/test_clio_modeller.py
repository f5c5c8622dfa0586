"""The modeller's answers an administrator loads, read into typed values and kept as JSON."""

import json

import pytest

from clients.clio_modeller import (
    UnreadableDocument,
    WorkTypeNode,
    read_participant_roles,
    read_work_type_tree,
    type_names_from_json,
    type_names_json,
)
from clients.clio_models import ParticipantRole, ParticipantType

TREE = {"derivedTypes": [
    {"systemName": "matter", "title": "Matter", "name": "matter", "isAbstract": True, "derivedTypes": [
        {"systemName": "matter-litigation", "name": "Disputes", "isAbstract": False, "children": []},
        {"systemName": "matter-property"},
    ]},
]}


def test_a_tree_is_read_parents_first_and_kept_with_only_what_it_gave() -> None:
    nodes = read_work_type_tree(json.dumps(TREE))

    assert nodes == (
        WorkTypeNode("matter", "Matter", True),  # `title` before `name`
        WorkTypeNode("matter-litigation", "Disputes", False),
        WorkTypeNode("matter-property", None, None),
    )
    kept = type_names_json(nodes)
    assert kept == {"matter": {"name": "Matter", "isAbstract": True},
                    "matter-litigation": {"name": "Disputes", "isAbstract": False}, "matter-property": {}}
    assert type_names_from_json(kept) == nodes


def test_roles_are_read_typed_and_kept_in_the_modellers_shape() -> None:
    user = {"systemName": "user", "name": "User", "iconClass": "fa-user", "odsEntityTypeSystemName": "person"}
    listed = [{"systemName": "owner", "isTeamRole": False, "allowedParticipantTypes": [user, "team"]},
              {"systemName": "reader", "name": "Reader", "isTeamRole": True, "isSecurityTeamRole": True}]

    roles = read_participant_roles(json.dumps(listed), "matter-property")

    owner, reader = roles["matter-property"]
    assert owner == ParticipantRole("owner", "owner", False, False, (ParticipantType("user", "person", "User"), ParticipantType("team")))
    assert (reader.name, reader.is_team_role, reader.is_security_team_role, reader.allowed_participant_types) == ("Reader", True, True, ())
    assert owner.to_json() == {
        "systemName": "owner", "name": "owner", "isTeamRole": False, "isSecurityTeamRole": False,
        "allowedParticipantTypes": [{"systemName": "user", "name": "User", "odsEntityTypeSystemName": "person"}, "team"],
    }
    assert ParticipantRole.from_json(owner.to_json()) == owner


@pytest.mark.parametrize(("text", "problems"), [
    ("[{]", ["(document): not valid JSON: Expecting property name enclosed in double quotes at line 1, column 3"]),
    ('[{"systemName": " "}, {"systemName": "a", "isAbstract": 1, "children": {}}]',
     ["[0].systemName: must be text, not blank", "[1].isAbstract: must be true or false", "[1].children: must be a list of work types"]),
])
def test_every_problem_of_a_tree_is_named_by_its_path(text: str, problems: list[str]) -> None:
    with pytest.raises(UnreadableDocument) as caught:
        read_work_type_tree(text)
    assert caught.value.problems == problems


def test_every_problem_of_a_roles_document_is_named_by_its_path() -> None:
    doc = {"matter-a": [{"systemName": "x", "isTeamRole": "yes", "allowedParticipantTypes": [{"name": ""}]}], "matter-b": []}
    with pytest.raises(UnreadableDocument) as caught:
        read_participant_roles(json.dumps(doc), "")
    assert caught.value.problems == [
        "matter-a[0].isTeamRole: must be true or false",
        "matter-a[0].allowedParticipantTypes[0].systemName: is missing",
        "matter-a[0].allowedParticipantTypes[0].name: must be text, not blank",
        "matter-b: must be a non-empty list of roles",
    ]
