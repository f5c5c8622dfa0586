"""Properties of the mapping document: any valid mapping survives export → import unchanged, and
any broken document is refused, pointing at the field, with the stored mapping left as it was."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clients.clio_models import FormField, WorkType
from plugin.mapping import DATE_FIELDS, FIELDS, AttributeMap, Mapping, WorkTypeRule
from plugin.mapping_admin import document_text, import_mapping
from plugin.mapping_document import InvalidMapping, from_document, parse_document, to_document
from plugin.services import Services
from store.mappings import MappingStore
from store.repository import Store
from tests.environments import save_environment
from tests.plugin.fakes import FakeAgent, FakeClio, FakeConnections

WORK_TYPES = ("matter-litigation", "matter-commercial")
FIELD_NAMES = sorted(FIELDS)
TEXT = st.characters(exclude_categories=("Cs",))  # lone surrogates are not text JSON can carry

names = st.text(TEXT, min_size=1, max_size=30).map(str.strip).filter(bool)
values = st.text(TEXT, max_size=30)
literals = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="{}"), max_size=12)
placeholders = st.sampled_from([f"{{{name}}}" for name in FIELD_NAMES])
templates = st.lists(st.one_of(literals, placeholders, st.sampled_from(["{{", "}}"])), min_size=1, max_size=6).map("".join).filter(str.strip)
date_formats = st.sampled_from(["date:%d/%m/%Y", "date:%Y-%m-%d", "date:%B %Y", "date:%a %d %b %y"])


@st.composite
def attributes(draw: st.DrawFn, target: str) -> AttributeMap:
    source = draw(st.sampled_from(FIELD_NAMES))
    choices = ["trim", "upper", "lower", "lookup"] + ([draw(date_formats)] if source in DATE_FIELDS else [])
    transforms = tuple(draw(st.lists(st.sampled_from(choices), max_size=4)))
    if "lookup" not in transforms:
        return AttributeMap(source, target, transforms)
    table = draw(st.dictionaries(values, values, min_size=1, max_size=4))
    return AttributeMap(source, target, transforms, tuple(table.items()), draw(st.none() | values))


@st.composite
def mappings(draw: st.DrawFn) -> Mapping:
    """Any mapping an administrator could save."""
    matter_id = draw(names)
    targets = draw(st.lists(names.filter(lambda n: n != matter_id), unique=True, max_size=6))
    others = [draw(attributes(t)) for t in targets]
    others.insert(draw(st.integers(0, len(others))), AttributeMap("matter_uno", matter_id))
    conditions = st.tuples(st.sampled_from(FIELD_NAMES), values)
    rules = draw(
        st.lists(st.lists(conditions, min_size=1, max_size=3, unique=True), unique_by=frozenset, max_size=5)
    )
    return Mapping(
        work_type_rules=tuple(
            WorkTypeRule(source, equals, draw(st.sampled_from(WORK_TYPES)), tuple(also))
            for (source, equals), *also in rules
        ),
        default_work_type=draw(st.sampled_from(WORK_TYPES)),
        title_template=draw(templates),
        reference_template=draw(templates),
        attributes=tuple(others),
        key_dates=tuple(
            (kind, draw(st.sampled_from(sorted(DATE_FIELDS)))) for kind in draw(st.lists(names, unique=True, max_size=3))
        ),
        party_roles=tuple(draw(st.dictionaries(names, names, max_size=5)).items()),
        default_party_role=draw(names),
        contact_reference_template=draw(literals) + "{name_uno}" + draw(literals),
        identity=FormField(draw(names), matter_id),
    )


@given(mappings())
def test_export_then_import_gives_back_any_valid_mapping_unchanged(mapping: Mapping) -> None:
    assert from_document(to_document(mapping)) == mapping
    assert from_document(parse_document(document_text(mapping))) == mapping  # through the downloaded file


# Each breakage: (what it does to a valid document, the path the refusal must name).
Breakage = Callable[[dict], str]


def unknown_top_field(doc: dict) -> str:
    doc["notes"] = "hello"
    return "notes: unknown field"


def unknown_source(doc: dict) -> str:
    doc["attributes"][-1]["source"] = "offfice"
    return f"attributes[{len(doc['attributes']) - 1}].source: unknown Aderant field"


def unknown_transform(doc: dict) -> str:
    doc["attributes"][0]["transforms"] = ["capitalise"]
    return "attributes[0].transforms[0]: unknown transform"


def duplicate_target(doc: dict) -> str:
    doc["attributes"].append(dict(doc["attributes"][0]))
    return f"attributes[{len(doc['attributes']) - 1}].target: is already the target of attributes[0]"


def bad_title(doc: dict) -> str:
    doc["title_template"] += "{title.__class__}"
    return "title_template: is not a valid template"


def unknown_template_field(doc: dict) -> str:
    doc["reference_template"] += "{matter_numbr}"
    return 'reference_template: unknown Aderant field "{matter_numbr}"'


def missing_field(doc: dict) -> str:
    del doc["default_party_role"]
    return "default_party_role: is missing"


def wrong_format(doc: dict) -> str:
    doc["format"] = "mapping"
    return "format:"


def key_date_from_text(doc: dict) -> str:
    doc["key_dates"].append({"type": "kd-new", "source": "title"})
    return f"key_dates[{len(doc['key_dates']) - 1}].source"


def unknown_work_type(doc: dict) -> str:
    """Valid as a document; the environment's Clio Operate has no such work type."""
    doc["default_work_type"] = "matter-unknown"
    return 'default_work_type: "matter-unknown" is not a work type'


BREAKAGES = [unknown_top_field, unknown_source, unknown_transform, duplicate_target, bad_title,
             unknown_template_field, missing_field, wrong_format, key_date_from_text]


@given(mappings(), st.sampled_from(BREAKAGES))
def test_a_broken_document_is_refused_naming_the_field(mapping: Mapping, breakage: Breakage) -> None:
    doc = copy.deepcopy(to_document(mapping))
    expected = breakage(doc)
    with pytest.raises(InvalidMapping) as refused:
        from_document(doc)
    assert any(p.startswith(expected) for p in refused.value.problems), refused.value.problems


class ClioWithWorkTypes(FakeClio):
    async def work_type_tree(self) -> list[WorkType]:
        return [WorkType("matter", "Matter", True, tuple(WorkType(t, t, False, ()) for t in WORK_TYPES))]


@pytest.fixture
def environment(store: Store):  # type: ignore[no-untyped-def]
    org = store.create_organisation("Firm", ["system-administrator"])
    env_id = save_environment(
        store, org, "Production", identity_url="https://firm-identity.example.test", api_url="https://firm.example.test",
        client_id="c", client_secret="s", agent_url="https://agent.example.test", agent_key="k", is_default=True,
    )
    services = Services(store, FakeConnections(FakeAgent(), ClioWithWorkTypes()))  # type: ignore[arg-type]
    return services, store.environment(org, env_id)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=40, deadline=None)
@given(mappings(), st.sampled_from([*BREAKAGES, unknown_work_type]))
def test_an_import_that_does_not_validate_replaces_nothing(  # type: ignore[no-untyped-def]
    environment, mapping: Mapping, breakage: Breakage
) -> None:
    services, env = environment
    versions = MappingStore(services.store.engine)
    if versions.latest(env.organisation_id, env.id) is None:
        asyncio.run(import_mapping(services, env, "admin", document_text(mapping), "first"))
    before = versions.versions(env.organisation_id, env.id)
    doc = copy.deepcopy(to_document(mapping))
    expected = breakage(doc)
    with pytest.raises(InvalidMapping) as refused:
        asyncio.run(import_mapping(services, env, "admin", json.dumps(doc), "broken"))
    assert any(p.startswith(expected) for p in refused.value.problems), refused.value.problems
    assert versions.versions(env.organisation_id, env.id) == before
