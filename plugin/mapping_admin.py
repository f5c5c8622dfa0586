"""Settings → Mapping: the versions of an environment's mapping, saving a draft, restoring an
earlier version, Backup/share (export and import of the JSON document) and Preview mapping (what
the mapping in force and a draft make of one real matter, side by side, before anything is saved).

Whatever becomes a version (a save, a restore, an import) passes the same two checks: the
document itself (``from_document``), then the environment's Clio Operate, which must know every
work type the mapping names as one a matter can be created as.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, field

from clients.clio_models import WorkType
from clients.errors import RemoteNotFound, answer_or_error
from plugin.errors import InvalidInput, NotConfigured, NotFound
from plugin.mapping import MappedMatter, Mapping, Value, apply_mapping, concrete_work_types
from plugin.mapping_document import InvalidMapping, from_document, parse_document, to_document
from plugin.mapping_form import MappingForm, form_of
from plugin.preview import _role_problem
from plugin.services import Services
from plugin.work_type_roles import Roles, not_loaded, party_roles, roles_of
from store.mappings import MappingRecord
from store.repository import EnvironmentSettings

MAX_NOTE = 500
MAX_DOCUMENT = 256 * 1024



def document_text(mapping: Mapping) -> str:
    """The mapping as the JSON an administrator edits, downloads and shares."""
    return json.dumps(to_document(mapping), indent=2, ensure_ascii=False) + "\n"


def read_draft(text: str) -> Mapping:
    """A draft as pasted, typed or uploaded; InvalidMapping says what is wrong and where."""
    if len(text.encode()) > MAX_DOCUMENT:
        raise InvalidMapping([f"(document): larger than {MAX_DOCUMENT // 1024} KB; a mapping is far smaller"])
    if not text.strip():
        raise InvalidMapping(["(document): is empty; paste or upload a mapping document"])
    return from_document(parse_document(text))


@dataclass(frozen=True)
class MappingOverview:
    text: str  # the mapping in force as a document, to start a draft from
    in_force: MappingRecord | None  # None: no version saved yet, the built-in default is in force
    versions: list[MappingRecord]
    work_types: list[WorkType] | None  # concrete work types; None when Clio Operate did not answer
    problems: list[str] = field(default_factory=list)  # why the page is not all it should be
    form: MappingForm | None = None  # the form editor's rows; None when the mapping in force does not validate
    party_roles: dict[str, list[str]] = field(default_factory=dict)  # work type → the loaded roles that take a party


async def overview(services: Services, env: EnvironmentSettings) -> MappingOverview:
    versions, tree, loaded = await asyncio.gather(
        services.db(services.store.mappings.versions, env.organisation_id, env.id),
        answer_or_error(services.remotes.clio(env).work_type_tree()),
        party_roles(services, env),
    )
    in_force = versions[0] if versions else None
    problems = [] if isinstance(tree, list) else [f"The work types could not be listed: {tree}"]
    form = None
    try:
        mapping = await services.mapping(env)
        text, form = document_text(mapping), form_of(mapping)
    except NotConfigured as exc:  # a stored version that no longer validates: show it so it can be fixed
        if in_force is None:
            raise
        text = json.dumps(in_force.document, indent=2, ensure_ascii=False) + "\n"
        problems.insert(0, str(exc))
    work_types = concrete_work_types(tree) if isinstance(tree, list) else None
    return MappingOverview(text, in_force, versions, work_types, problems, form, loaded)


async def save_mapping(services: Services, env: EnvironmentSettings, author: str, text: str, note: str) -> int:
    """Save a draft as the new version in force; its number."""
    return await _save(services, env, author, read_draft(text), _note(note), "mapping.saved", {})


async def save_mapping_form(services: Services, env: EnvironmentSettings, author: str, form: MappingForm, note: str) -> int:
    """The form editor's save: the document the form describes, saved exactly as a draft is."""
    return await save_mapping(services, env, author, form.text(), note)


async def import_mapping(services: Services, env: EnvironmentSettings, author: str, text: str, note: str) -> int:
    """Backup/share: an exported document becomes the new version in force, or nothing changes."""
    return await _save(services, env, author, read_draft(text), _note(note) or "Imported from a backup", "mapping.imported", {})


async def restore_mapping(services: Services, env: EnvironmentSettings, author: str, version: int) -> int:
    """A new version equal to an earlier one; its number."""
    record = await services.db(services.store.mappings.version, env.organisation_id, env.id, version)
    if record is None:
        raise NotFound(f"{env.name} has no mapping version {version}.")
    try:
        mapping = from_document(record.document)
    except InvalidMapping as exc:
        raise InvalidMapping([f"version {version} can no longer be restored: {p}" for p in exc.problems]) from None
    return await _save(services, env, author, mapping, f"Restored version {version}", "mapping.restored", {"restored_from": version})


@dataclass(frozen=True)
class Export:
    filename: str
    text: str


async def export_mapping(services: Services, env: EnvironmentSettings, version: int | None = None) -> Export:
    """Backup/share: the mapping in force (or an earlier version) as one JSON document."""
    if version is None:
        record = await services.db(services.store.mappings.latest, env.organisation_id, env.id)
        mapping = await services.mapping(env)
    else:
        record = await services.db(services.store.mappings.version, env.organisation_id, env.id, version)
        if record is None:
            raise NotFound(f"{env.name} has no mapping version {version}.")
        mapping = from_document(record.document)
    slug = re.sub(r"[^a-z0-9]+", "-", env.name.lower()).strip("-") or "environment"
    label = f"v{record.version}" if record else "default"
    return Export(f"pms-sync-mapping-{slug}-{label}.json", document_text(mapping))


def _note(note: str) -> str:
    note = " ".join(note.split())
    if len(note) > MAX_NOTE:
        raise InvalidInput(f"The note is longer than {MAX_NOTE} characters: shorten it.")
    return note


async def _save(
    services: Services, env: EnvironmentSettings, author: str, mapping: Mapping, note: str, event: str, data: dict
) -> int:
    tree, roles = await asyncio.gather(
        services.remotes.clio(env).work_type_tree(),
        roles_of(services, env, {kind for kind, _, _ in mapping.party_roles_by_work_type}),
    )
    problems = work_type_problems(mapping, tree, env.name) + work_type_role_problems(mapping, roles)
    if problems:
        raise InvalidMapping(problems)
    return await services.db(
        services.store.mappings.save, env.organisation_id, env.id, to_document(mapping), author=author, note=note, event=event, data=data
    )


def work_type_problems(mapping: Mapping, tree: list[WorkType], environment: str) -> list[str]:
    """Each work type the mapping names that the environment cannot create a matter as."""
    concrete = {t.system_name for t in concrete_work_types(tree)}
    named = [(f"work_type_rules[{i}].work_type", r.work_type) for i, r in enumerate(mapping.work_type_rules)]
    named.append(("default_work_type", mapping.default_work_type))
    named += [(f"{_rule_path(code, kind)}.work_type", kind) for kind, code, _ in mapping.party_roles_by_work_type]
    return [
        f'{path}: "{name}" is not a work type a matter can be created as in {environment}'
        f" (choose one of {', '.join(sorted(concrete))})"
        for path, name in named
        if name not in concrete
    ]


def work_type_role_problems(mapping: Mapping, roles: dict[str, Roles]) -> list[str]:
    """Each role a work type's own party role rule names that its loaded roles do not offer to a
    person or an organisation (a work type whose roles are not loaded is not checked)."""
    problems = []
    for kind, code, role in mapping.party_roles_by_work_type:
        loaded = roles.get(kind)
        if loaded is None or (role in loaded and (loaded[role].takes("person") or loaded[role].takes("organisation"))):
            continue
        offered = sorted(name for name, r in loaded.items() if r.takes("person") or r.takes("organisation"))
        problems.append(
            f'{_rule_path(code, kind)}.role: "{role}" is not a role {kind} gives a party (choose one of {", ".join(offered)})'
        )
    return problems


def _rule_path(code: str, work_type: str) -> str:
    return f"party_roles ({code} in {work_type})"


# Preview mapping --------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    label: str
    current: str | None  # None: this mapping produces nothing here
    draft: str | None
    current_problem: str | None = None
    draft_problem: str | None = None

    @property
    def changed(self) -> bool:
        return self.current != self.draft


@dataclass(frozen=True)
class Section:
    title: str
    rows: tuple[Row, ...]


@dataclass
class Comparison:
    """What the mapping in force and the draft make of one matter; nothing is written."""

    matter_number: str
    current: MappedMatter
    draft: MappedMatter
    sections: list[Section]
    warnings: list[str] = field(default_factory=list)

    @property
    def changes(self) -> int:
        return sum(row.changed for section in self.sections for row in section.rows)

    @property
    def source(self) -> dict[str, Value]:
        return self.current.source


async def compare(services: Services, env: EnvironmentSettings, text: str, matter_number: str) -> Comparison:
    draft = read_draft(text)
    number = matter_number.strip()
    if not number or len(number) > 50:
        raise InvalidInput("Enter the Aderant matter number to preview the mapping against, e.g. 82001.")
    try:
        matter, current = await asyncio.gather(services.remotes.agent(env).get_matter(number), services.mapping(env))
    except RemoteNotFound:
        raise NotFound(f"Matter {number} was not found in Aderant ({env.name}). Check the number and the environment.") from None
    before, after = apply_mapping(matter, current), apply_mapping(matter, draft)

    types = sorted({before.work_type, after.work_type})
    tree, roles = await asyncio.gather(
        answer_or_error(services.remotes.clio(env).work_type_tree()), roles_of(services, env, types)
    )
    comparison = Comparison(number, before, after, [])
    if isinstance(tree, list):
        comparison.warnings += [f"The draft would not save: {p}" for p in work_type_problems(draft, tree, env.name)]
    else:
        comparison.warnings.append(f"The work types could not be checked: {tree}")
    comparison.warnings += [not_loaded(t, "party roles were not checked") for t in types if roles[t] is None]
    comparison.sections = _sections(before, after, roles)
    return comparison


def _sections(before: MappedMatter, after: MappedMatter, roles: dict[str, Roles]) -> list[Section]:
    def keyed(title: str, old: dict[str, str], new: dict[str, str]) -> Section:
        return Section(title, tuple(Row(k, old.get(k), new.get(k)) for k in dict.fromkeys([*old, *new])))

    drafted = {p.key: p for p in after.parties}
    parties = tuple(
        Row(
            f"{p.name} ({p.aderant_role or 'no role'})",
            p.role,
            drafted[p.key].role,
            _role_problem(p, roles[before.work_type], before.work_type),
            _role_problem(drafted[p.key], roles[after.work_type], after.work_type),
        )
        for p in before.parties
    )
    return [
        Section(
            "Work item",
            (
                Row("Work type", before.work_type, after.work_type),
                Row("Title", before.title, after.title),
                Row("Reference", before.reference, after.reference),
            ),
        ),
        keyed("Key dates", before.key_dates, after.key_dates),
        keyed("Attributes", before.attributes, after.attributes),
        Section("Party roles", parties),
    ]

