from dataclasses import replace
from datetime import date

import pytest

from clients.aderant_models import CodeDescription
from clients.clio_models import ParticipantRole, ParticipantType
from plugin.mapping import DEFAULT_MAPPING, AttributeMap, Mapping, WorkTypeRule, apply_mapping, render_template
from plugin.mapping_admin import work_type_role_problems
from plugin.mapping_document import InvalidMapping, from_document, to_document
from tests.plugin.fakes import matter, party


def test_default_mapping_shapes_the_work_item() -> None:
    mapped = apply_mapping(matter(parties=(party(90003, "Mary Citizen", role_code="WIT", role="Witness"),)))
    assert mapped.work_type == "matter-litigation"
    assert mapped.title == "Harbour Holdings v Coastal Freight"
    assert mapped.reference == " cl080001 /82001"
    assert mapped.key_dates == {"kd-instruction-date": "2026-03-02"}
    assert mapped.attributes["aderant-matter-id"] == "82001"
    assert mapped.attributes["aderant-client-code"] == "CL080001"  # trim + upper
    assert "aderant-billing-employee" not in mapped.attributes  # empty values are left out
    assert [(p.key, p.role, p.reference) for p in mapped.parties] == [
        ("client-90001", "client", "ADERANT:90001"),
        ("wit-90003", "witness", "ADERANT:90003"),
    ]


def test_rules_fall_back_to_the_default_work_type_and_role() -> None:
    mapped = apply_mapping(matter(dept="XYZ", parties=(party(1, "A", role_code="ZZZ"), party(2, "B", role_code=None))))
    assert mapped.work_type == DEFAULT_MAPPING.default_work_type
    assert [p.role for p in mapped.parties[1:]] == ["interested-party", "interested-party"]
    assert mapped.parties[2].key == "party-2"


def test_a_custom_mapping_is_just_data() -> None:
    custom = Mapping(
        work_type_rules=(WorkTypeRule("office_code", "SYD", "matter-property"),),
        default_work_type="matter-commercial",
        title_template="{matter_number} {client_name}",
        reference_template="{matter_number}",
        attributes=(AttributeMap("office", "office-name", ("upper",)),),
        key_dates=(("kd-long-stop", "close_date"),),
        party_roles=(("CLIENT", "client"),),
        default_party_role="other-side",
    )
    mapped = apply_mapping(matter(), custom)
    assert (mapped.work_type, mapped.title, mapped.reference) == ("matter-property", "82001 Harbour Holdings Pty Ltd", "82001")
    assert mapped.attributes == {"office-name": "SYDNEY"} and mapped.key_dates == {}


@pytest.mark.parametrize("template", ["{title.__class__}", "{title[0]}", "{nope}", "{title!r}", "{title:>10}"])
def test_templates_allow_plain_fields_only(template: str) -> None:
    with pytest.raises(ValueError):
        render_template(template, {"title": "x"})


def test_template_renders_dates_and_blanks() -> None:
    assert render_template("{a}-{b}-{{x}}", {"a": date(2026, 1, 2), "b": None}) == "2026-01-02--{x}"


def test_a_work_type_rule_can_ask_for_several_fields_at_once() -> None:
    sydney_litigation = WorkTypeRule("department_code", "LIT", "matter-property", (("office_code", "SYD"),))
    rules = replace(DEFAULT_MAPPING, work_type_rules=(sydney_litigation, *DEFAULT_MAPPING.work_type_rules))
    assert apply_mapping(matter(dept="LIT"), rules).work_type == "matter-property", "LIT in SYD"
    elsewhere = replace(matter(dept="LIT"), office=CodeDescription("MEL", "Melbourne"))
    assert apply_mapping(elsewhere, rules).work_type == "matter-litigation", "LIT, not in SYD: the next rule"


def test_a_work_type_can_map_an_aderant_role_its_own_way_and_others_fall_back() -> None:
    witness = party(90003, "Mary Citizen", role_code="WIT", role="Witness")
    by_type = replace(DEFAULT_MAPPING, party_roles_by_work_type=(("matter-commercial", "WIT", "interested-party"),))
    commercial = apply_mapping(matter(dept="COM", parties=(witness,)), by_type)
    litigation = apply_mapping(matter(dept="LIT", parties=(witness,)), by_type)
    assert [(p.role, p.role_rule) for p in commercial.parties] == [("client", "aderant_role"), ("interested-party", "work_type")]
    assert [(p.role, p.role_rule) for p in litigation.parties] == [("client", "aderant_role"), ("witness", "aderant_role")]
    stranger = apply_mapping(matter(dept="COM", parties=(party(7, "Z", role_code="ZZZ"),)), by_type).parties[1]
    assert (stranger.role, stranger.role_rule, stranger.role_code) == ("interested-party", "default", "ZZZ")


def test_role_rules_by_work_type_are_part_of_the_document() -> None:
    doc = to_document(DEFAULT_MAPPING)
    doc["party_roles"].insert(0, {"aderant_role": "WIT", "work_type": "matter-commercial", "role": "interested-party"})
    mapping = from_document(doc)
    assert mapping.party_roles == DEFAULT_MAPPING.party_roles, "the general rules are unchanged"
    assert mapping.party_roles_by_work_type == (("matter-commercial", "WIT", "interested-party"),)
    assert from_document(to_document(mapping)) == mapping


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        ({"aderant_role": "WIT", "work_type": "", "role": "client"}, "party_roles[5].work_type: must not be blank"),
        ({"aderant_role": "WIT", "work_type": 3, "role": "client"}, "party_roles[5].work_type: must be text"),
        ({"aderant_role": "WIT", "work_types": "x", "role": "client"}, "party_roles[5].work_types: unknown field"),
    ],
)
def test_a_role_rule_by_work_type_that_does_not_validate_names_its_field(rule: dict, problem: str) -> None:
    doc = to_document(DEFAULT_MAPPING)
    doc["party_roles"].append(rule)
    with pytest.raises(InvalidMapping) as refused:
        from_document(doc)
    assert problem in refused.value.problems


def test_an_aderant_role_is_mapped_once_per_work_type_and_once_in_general() -> None:
    doc = to_document(DEFAULT_MAPPING)
    doc["party_roles"] += [
        {"aderant_role": "WIT", "work_type": "matter-commercial", "role": "interested-party"},
        {"aderant_role": "WIT", "work_type": "matter-property", "role": "interested-party"},
        {"aderant_role": "WIT", "work_type": "matter-commercial", "role": "client"},
    ]
    with pytest.raises(InvalidMapping) as refused:
        from_document(doc)
    assert refused.value.problems == ["party_roles[7].aderant_role: is already the Aderant role, for the same work type, of party_roles[5]"]


def test_a_work_types_own_role_rule_is_checked_against_that_work_types_loaded_roles() -> None:
    def role(name: str, *types: str) -> ParticipantRole:
        return ParticipantRole(name, name, False, False, tuple(ParticipantType(t) for t in types))

    commercial = {r.system_name: r for r in (role("client", "person", "organisation"), role("reader", "team"))}
    mapping = replace(
        DEFAULT_MAPPING,
        party_roles_by_work_type=(
            ("matter-commercial", "WIT", "witness"),
            ("matter-commercial", "INT", "reader"),
            ("matter-commercial", "ADV", "client"),
            ("matter-property", "WIT", "anything"),  # roles not loaded: not checked
        ),
    )
    assert work_type_role_problems(mapping, {"matter-commercial": commercial, "matter-property": None}) == [
        'party_roles (WIT in matter-commercial).role: "witness" is not a role matter-commercial gives a party (choose one of client)',
        'party_roles (INT in matter-commercial).role: "reader" is not a role matter-commercial gives a party (choose one of client)',
    ]
