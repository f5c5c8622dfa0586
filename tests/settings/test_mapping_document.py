"""The mapping as a JSON document: what validation refuses and where it points, and the transforms."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from datetime import date

import pytest

from clients.clio_models import FormField
from plugin.mapping import DATE_FIELDS, DEFAULT_MAPPING, FIELDS, AttributeMap, apply_mapping, matter_fields
from plugin.mapping_document import InvalidMapping, from_document, parse_document, to_document
from tests.plugin.fakes import matter


def problems(doc: object) -> list[str]:
    with pytest.raises(InvalidMapping) as refused:
        from_document(doc)
    return refused.value.problems


def edited(**changes: object) -> dict:
    doc = copy.deepcopy(to_document(DEFAULT_MAPPING))
    doc.update(changes)
    return doc


def with_attribute(index: int, **changes: object) -> dict:
    doc = edited()
    doc["attributes"][index].update(changes)
    return doc


def test_the_default_mapping_is_a_valid_document_and_comes_back_unchanged() -> None:
    doc = to_document(DEFAULT_MAPPING)
    assert doc["format"] == "pms-sync-mapping" and doc["version"] == 1
    assert from_document(json.loads(json.dumps(doc))) == DEFAULT_MAPPING


def test_the_identity_names_a_form_and_a_field_and_older_documents_still_read() -> None:
    """The matter id is searched by its field and read back as `form-{form}.{field}`
    (sharedo-tech/forum2024-02-S3 `IDE/Demo01/PMSWidget/PMSWidgetAgent.js`)."""
    assert to_document(DEFAULT_MAPPING)["identity"] == {"form": "aderant", "field": "aderant-matter-id"}
    custom = edited(identity={"form": "pms-aderant", "field": "matterUno"})
    custom["attributes"][0]["target"] = "matterUno"
    mapping = from_document(custom)
    assert mapping.identity == FormField("pms-aderant", "matterUno")
    assert apply_mapping(matter(), mapping).identity == {FormField("pms-aderant", "matterUno"): "82001"}
    older = edited()
    del older["identity"]
    assert from_document(older) == DEFAULT_MAPPING, "a document without it reads as before"
    older["matter_id_attribute"] = "aderant-matter-id"
    assert from_document(older) == DEFAULT_MAPPING, "the older spelling names the field on the default form"


def test_matter_fields_are_exactly_the_fields_a_mapping_may_name() -> None:
    fields = matter_fields(matter())
    assert list(fields) == list(FIELDS)
    dated = {name for name, value in fields.items() if isinstance(value, date)}
    assert dated <= DATE_FIELDS and "open_date" in dated  # close_date is None on an open matter


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        (with_attribute(2, source="offfice"), 'attributes[2].source: unknown Aderant field "offfice" (did you mean "office"?)'),
        (with_attribute(1, colour="red"), "attributes[1].colour: unknown field"),
        (edited(colour="red"), "colour: unknown field"),
        (with_attribute(3, transforms=["trim", "shout"]), 'attributes[3].transforms[1]: unknown transform "shout"'),
        (with_attribute(4, transforms=["date:%d/%m/%Y"]), 'attributes[4].transforms[0]: "date:%d/%m/%Y" formats dates, but "office" is not a date field'),
        (with_attribute(4, transforms=["date:"]), 'attributes[4].transforms[0]: "date:" needs a strftime format'),
        (with_attribute(4, transforms=["lookup"]), 'attributes[4].lookup: the "lookup" transform needs a table of values'),
        (with_attribute(4, lookup={"SYD": "Sydney"}), 'attributes[4].lookup: a table is given but "lookup" is not among the transforms'),
        (with_attribute(4, transforms=["lookup"], lookup={"SYD": 1}), "attributes[4].lookup: must be an object"),
        (with_attribute(5, target="aderant-office"), "attributes[5].target: is already the target of attributes[4]"),
        (with_attribute(0, transforms=["upper"]), 'attributes: needs matter_uno mapped unchanged to "aderant-matter-id"'),
        (edited(title_template="{title.upper}"), "title_template: is not a valid template"),
        (edited(title_template="{title!r}"), "title_template: is not a valid template"),
        (edited(title_template="{title:>10}"), "title_template: is not a valid template"),
        (edited(title_template="{}"), "title_template: is not a valid template"),
        (edited(title_template="{title"), "title_template: is not a valid template"),
        (edited(reference_template="{client_code}/{nope}"), 'reference_template: unknown Aderant field "{nope}"'),
        (edited(title_template="  "), "title_template: must not be blank"),
        (edited(contact_reference_template="ADERANT:{matter_uno}"), "contact_reference_template: must contain {name_uno}"),
        (edited(format="something-else"), 'format: must be "pms-sync-mapping"'),
        (edited(version=2), "version: unsupported version 2"),
        (edited(version=True), "version: unsupported version true"),
        (edited(attributes={}), "attributes: must be a list"),
        (edited(attributes=["aderant-office"]), "attributes[0]: must be an object"),
        (edited(default_work_type=7), "default_work_type: must be text"),
        (edited(default_work_type=" matter-commercial"), 'default_work_type: " matter-commercial" must not start or end with spaces'),
        (edited(key_dates=[{"type": "kd-instruction-date", "source": "office"}]), 'key_dates[0].source: "office" is not a date field'),
        (
            edited(key_dates=[{"type": "kd-a", "source": "open_date"}, {"type": "kd-a", "source": "close_date"}]),
            "key_dates[1].type: is already the type of key_dates[0]",
        ),
        (
            edited(party_roles=[{"aderant_role": "WIT", "role": "witness"}, {"aderant_role": "WIT", "role": "client"}]),
            "party_roles[1].aderant_role: is already the Aderant role of party_roles[0]",
        ),
        (
            edited(work_type_rules=[{"source": "office_code", "equals": "SYD", "work_type": "a"}] * 2),
            "work_type_rules[1]: has the same conditions as work_type_rules[0]",
        ),
        (edited(work_type_rules=[{"source": "office_code", "work_type": "a"}]), "work_type_rules[0].equals: is missing"),
        (
            edited(work_type_rules=[{"source": "department_code", "equals": "LIT", "work_type": "a",
                                     "and": [{"source": "office_code", "equals": "SYD"}, {"source": "ofice_code", "equals": "x"}]}]),
            'work_type_rules[0].and[1].source: unknown Aderant field "ofice_code" (did you mean "office_code"?)',
        ),
        (
            edited(work_type_rules=[{"source": "department_code", "equals": "LIT", "work_type": "a", "and": {"office_code": "SYD"}}]),
            "work_type_rules[0].and: must be a list",
        ),
        (
            edited(work_type_rules=[
                {"source": "department_code", "equals": "LIT", "work_type": "a", "and": [{"source": "office_code", "equals": "SYD"}]},
                {"source": "office_code", "equals": "SYD", "work_type": "b", "and": [{"source": "department_code", "equals": "LIT"}]},
            ]),
            "work_type_rules[1]: has the same conditions as work_type_rules[0]",
        ),
        ([], "(document): must be an object"),
        (edited(identity={"form": "aderant"}), "identity.field: is missing"),
        (edited(identity={"form": "aderant", "field": "aderant-matter-id", "path": "x"}), "identity.path: unknown field"),
        (edited(identity="aderant-matter-id"), "identity: must be an object"),
        (edited(identity={"form": " ", "field": "aderant-matter-id"}), "identity.form: must not be blank"),
        (edited(identity={"form": "aderant", "field": "aderant-office"}), 'attributes: needs matter_uno mapped unchanged to "aderant-office"'),
        (edited(matter_id_attribute="aderant-matter-id"), 'matter_id_attribute: give "identity" only'),
    ],
)
def test_every_problem_names_the_field_it_is_in(doc: object, expected: str) -> None:
    found = problems(doc)
    assert any(p.startswith(expected) for p in found), found


def test_every_problem_is_reported_at_once() -> None:
    doc = edited(colour="red", title_template="{nope}")
    doc["attributes"][2]["source"] = "offfice"
    del doc["default_party_role"]
    found = problems(doc)
    assert [p.split(":")[0] for p in found] == ["colour", "default_party_role", "attributes[2].source", "title_template"]


def test_json_text_that_is_not_json_or_repeats_a_key_is_refused() -> None:
    with pytest.raises(InvalidMapping, match=r"not valid JSON: .* line 1, column"):
        parse_document('{"format": ')
    with pytest.raises(InvalidMapping, match='the key "SYD" appears twice'):
        parse_document('{"lookup": {"SYD": "Sydney", "SYD": "Sydney CBD"}}')


def _mapped_attribute(item: AttributeMap) -> str | None:
    mapping = replace(DEFAULT_MAPPING, attributes=(DEFAULT_MAPPING.attributes[0], item))
    assert from_document(to_document(mapping)) == mapping, "a mapping an administrator could save"
    return apply_mapping(matter(), mapping).attributes.get(item.target)


def test_lookup_maps_through_the_table_and_passes_unmatched_values_through_without_a_default() -> None:
    table = (("SYD", "Sydney CBD"), ("MEL", "Melbourne"))
    assert _mapped_attribute(AttributeMap("office_code", "office", ("lookup",), table)) == "Sydney CBD"
    assert _mapped_attribute(AttributeMap("office_code", "office", ("lookup",), (("MEL", "Melbourne"),))) == "SYD"
    assert _mapped_attribute(AttributeMap("office_code", "office", ("lookup",), (("MEL", "Melbourne"),), "Other")) == "Other"


def test_lookup_matches_after_the_transforms_before_it_and_exactly() -> None:
    table = (("CL080001", "Harbour"),)
    assert _mapped_attribute(AttributeMap("client_code", "client", ("lookup",), table)) == " cl080001 "  # no match
    assert _mapped_attribute(AttributeMap("client_code", "client", ("trim", "upper", "lookup"), table)) == "Harbour"


def test_date_transform_writes_a_date_field_in_the_format() -> None:
    assert _mapped_attribute(AttributeMap("open_date", "opened", ("date:%d/%m/%Y",))) == "02/03/2026"
    assert _mapped_attribute(AttributeMap("open_date", "opened", ("date:%B %Y", "upper"))) == "MARCH 2026"


def test_an_empty_field_gives_no_attribute_whatever_the_transforms() -> None:
    assert _mapped_attribute(AttributeMap("close_date", "closed", ("date:%d/%m/%Y",))) is None
    assert _mapped_attribute(AttributeMap("close_date", "closed", ("lookup",), (("x", "y"),), "unknown")) is None


def test_a_lookup_before_a_date_transform_keeps_text_that_is_no_date() -> None:
    item = AttributeMap("open_date", "opened", ("lookup", "date:%Y"), (("2026-03-02", "first day"),))
    assert _mapped_attribute(item) == "first day"
