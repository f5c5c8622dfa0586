from __future__ import annotations

import pytest

from clients.clio_models import FormField, OdsContact, WorkItemRef
from clients.errors import RemoteTimeout, RemoteUnavailable
from plugin.errors import InvalidInput, NotConfigured, NotFound
from plugin.mapping import apply_mapping
from plugin.preview import preview_matter, search_text
from plugin.search import search_matters
from store.work_type_roles import WorkTypeRolesStore
from tests.plugin.fakes import matter, party, role

MATTER_ID = FormField("aderant", "aderant-matter-id")


async def test_search_marks_imported_matters_from_one_store_query(world) -> None:  # type: ignore[no-untyped-def]
    services, env, agent, clio = world
    agent.matters = {n: matter(n, uno=int(n)) for n in ("82001", "82002", "82003")}
    services.store.record_import(env.organisation_id, env.id, matter_uno="82003", matter_number="82003", work_item_id="wi-3", imported_by="x")
    rows = (await search_matters(services, env, "  820  ")).rows
    assert agent.calls == [("search", "820")] and clio.calls == []
    by_number = {r.matter_number: r for r in rows}
    assert by_number["82003"].imported and by_number["82003"].work_item_url == "https://firm.example.test/sharedo/wi-3"
    assert not by_number["82001"].imported and by_number["82001"].work_item_url is None


@pytest.mark.parametrize("q", [None, "", "   ", "x" * 201])
async def test_search_refuses_empty_or_long_text_before_calling_aderant(world, q) -> None:  # type: ignore[no-untyped-def]
    services, env, agent, _ = world
    with pytest.raises(InvalidInput):
        await search_matters(services, env, q)
    assert agent.calls == []


async def test_a_search_at_its_cap_says_more_match_and_pages_on(world) -> None:  # type: ignore[no-untyped-def]
    services, env, agent, _ = world
    agent.matters = {str(n): matter(str(n), uno=n) for n in range(82000, 82030)}

    first = await search_matters(services, env, "820", page_size=25)
    second = await search_matters(services, env, "820", page=2, page_size=25)

    assert (len(first.rows), first.more, first.next_page, first.previous_page) == (25, True, 2, None)
    assert (second.first, second.last, second.more, second.next_page, second.previous_page) == (26, 30, False, None, 1)
    assert [r.matter_number for r in second.rows] == [str(n) for n in range(82025, 82030)]
    assert agent.calls == [("search", "820"), ("search", "820", 25)]


@pytest.mark.parametrize("page", [0, 401])
async def test_search_refuses_a_page_out_of_range(world, page) -> None:  # type: ignore[no-untyped-def]
    services, env, agent, _ = world
    with pytest.raises(InvalidInput, match="The page must be between 1 and 400"):
        await search_matters(services, env, "820", page=page)
    assert agent.calls == []


async def test_search_passes_remote_errors_through(world) -> None:  # type: ignore[no-untyped-def]
    services, env, agent, _ = world
    agent.error = RemoteUnavailable("Aderant", "Production", "connection refused")
    with pytest.raises(RemoteUnavailable, match="Aderant is not reachable for Production"):
        await search_matters(services, env, "82001")


async def test_preview_finds_candidates_for_every_party_concurrently(world) -> None:  # type: ignore[no-untyped-def]
    services, env, agent, clio = world
    agent.matters["82001"] = matter(parties=(party(90003, "Mary Citizen", role_code="WIT"), party(90002, "Coastal Freight Pty Ltd", "organisation")))
    clio.contacts = [
        OdsContact("org-1", "organisation", "Harbour Holdings Pty Ltd", "ADERANT:90001", "ADERANT:90001"),
        OdsContact("p-1", "person", "Mary Citizen", None, None),
        OdsContact("p-2", "person", "Mary Citizens", None, None),
        OdsContact("org-x", "organisation", "Mary Citizen Pty", None, None),
    ]
    services.store.teams.add(
        env.organisation_id, env.id, work_type="matter-litigation", team_id="t1", team_name="Litigation – Sydney", role="reader",
        actor="admin",
    )
    clio.searches_together = 3  # one search per party: the client and the two others
    preview = await preview_matter(services, env, "82001")
    assert clio.most_searches_in_flight == 3, "every party's search was in flight at once"
    by_key = {p.party.key: p for p in preview.parties}
    assert by_key["client-90001"].default_decision == {"link": "org-1"}
    assert by_key["client-90001"].candidates[0].exact
    mary = by_key["wit-90003"]
    assert [c.ods_id for c in mary.candidates] == ["p-1", "p-2"], "candidates are of the party's kind"
    assert mary.default_decision == "create" and not mary.candidates[0].exact
    assert preview.summary == {"create": 2, "link": 1}
    assert [(t.name, t.role) for t in preview.teams] == [("Litigation – Sydney", "reader")]
    assert not preview.already_imported and preview.warnings == []
    searched = sorted(c[1] for c in clio.calls if c[0] == "search_contacts")
    assert searched == ["Coastal Freight", "Harbour Holdings", "Mary Citizen"]
    assert ("find_work_items", {MATTER_ID: "82001"}) in clio.calls


async def test_preview_searches_at_most_the_services_concurrency_at_once(world) -> None:  # type: ignore[no-untyped-def]
    services, env, agent, clio = world
    agent.matters["82001"] = matter(parties=(party(90003, "Mary Citizen", role_code="WIT"), party(90002, "Coastal Freight Pty Ltd", "organisation")))
    services.concurrency = 3  # the work item check beside the searches takes one of the three places
    clio.searches_together = 2
    await preview_matter(services, env, "82001")
    assert len([c for c in clio.calls if c[0] == "search_contacts"]) == 3
    assert clio.most_searches_in_flight == 2


async def test_preview_shows_a_matter_already_in_clio_operate(world) -> None:  # type: ignore[no-untyped-def]
    services, env, agent, clio = world
    agent.matters["82001"] = matter()
    clio.work_items = [WorkItemRef("wi-9", "t", "r", "matter-litigation", "matter-handling", {MATTER_ID: "82001"})]
    preview = await preview_matter(services, env, "82001")
    assert preview.already_imported and preview.work_item_url == "https://firm.example.test/sharedo/wi-9"


async def test_a_hit_whose_matter_id_reads_back_as_another_is_not_this_matter(world) -> None:  # type: ignore[no-untyped-def]
    """The search matched, but the identity field read back (`form-aderant.aderant-matter-id`)
    holds another id; a hit whose value could not be read back is kept, never imported twice."""
    services, env, agent, clio = world
    agent.matters["82001"] = matter()
    clio.work_items = [WorkItemRef("wi-8", "t", "r", "matter-litigation", "matter-handling", {MATTER_ID: "820011"})]
    clio.find_work_items = _answer(clio.work_items)  # type: ignore[method-assign]
    assert not (await preview_matter(services, env, "82001")).already_imported
    clio.find_work_items = _answer([WorkItemRef("wi-7", "t", "r", "matter-litigation", "matter-handling", {MATTER_ID: None})])  # type: ignore[method-assign]
    assert (await preview_matter(services, env, "82001")).work_item_id == "wi-7"


def _answer(items: list[WorkItemRef]):  # type: ignore[no-untyped-def]
    async def find_work_items(**_: object) -> list[WorkItemRef]:
        return items

    return find_work_items


async def test_a_work_type_without_loaded_roles_is_previewed_with_a_warning_not_a_block(world) -> None:  # type: ignore[no-untyped-def]
    services, env, agent, _ = world
    agent.matters["82001"] = matter(parties=(party(90003, "Mary Citizen", role_code="XYZ"),))
    WorkTypeRolesStore(services.store.engine).remove(env.organisation_id, env.id, "matter-litigation", actor="admin")
    preview = await preview_matter(services, env, "82001")
    assert all(p.role_problem is None for p in preview.parties), "an unknown role is not flagged: roles are not loaded"
    assert preview.warnings == [
        "The participant roles of matter-litigation have not been loaded, so roles were not checked: "
        "an administrator can load them in Settings → Participant Roles."
    ]


async def test_participant_types_given_as_objects_are_checked_by_their_ods_entity_type(world) -> None:  # type: ignore[no-untyped-def]
    """`allowedParticipantTypes` entries as objects (Alter-Igor/Test
    `src/Typings/WidgetsOdsEntityPicker/IAddParticipantService.ts`): `odsEntityTypeSystemName` decides."""
    services, env, agent, _ = world
    agent.matters["82001"] = matter(parties=(party(90003, "Mary Citizen", role_code="WIT"), party(90004, "Acme Pty Ltd", "organisation", role_code="WIT")))
    user = {"systemName": "user", "name": "User", "iconClass": "fa-user", "addCommand": None, "odsEntityTypeSystemName": "person"}
    roles = [role("client", ["organisation"]), role("interested-party", ["person"]), role("witness", [user])]
    WorkTypeRolesStore(services.store.engine).load(env.organisation_id, env.id, {"matter-litigation": roles}, source="x.json", actor="admin")
    preview = await preview_matter(services, env, "82001")
    problems = {p.party.name: p.role_problem for p in preview.parties}
    assert problems["Mary Citizen"] is None
    assert problems["Acme Pty Ltd"] == "the role witness of work type matter-litigation does not take a organisation."


async def test_preview_of_a_recorded_import_uses_the_store(world) -> None:  # type: ignore[no-untyped-def]
    services, env, agent, _ = world
    agent.matters["82001"] = matter()
    services.store.record_import(env.organisation_id, env.id, matter_uno="82001", matter_number="82001", work_item_id="wi-1", imported_by="x")
    assert (await preview_matter(services, env, "82001")).work_item_id == "wi-1"


async def test_preview_with_clio_operate_down_still_shows_the_aderant_side(world) -> None:  # type: ignore[no-untyped-def]
    services, env, agent, clio = world
    agent.matters["82001"] = matter(parties=(party(90003, "Mary Citizen"),))
    clio.error = RemoteTimeout("Clio Operate", "Production", "no answer after 15 s")
    preview = await preview_matter(services, env, "82001")
    assert preview.mapped.title and len(preview.parties) == 2
    assert all(p.candidates == () and p.default_decision == "create" for p in preview.parties)
    assert "could not be looked up" in preview.warnings[0] and "Clio Operate did not answer" in preview.warnings[0]


async def test_preview_of_an_unknown_matter_says_so(world) -> None:  # type: ignore[no-untyped-def]
    services, env, *_ = world
    with pytest.raises(NotFound, match="Matter 404404 was not found in Aderant \\(Production\\)"):
        await preview_matter(services, env, "404404")


async def test_environment_choice(world) -> None:  # type: ignore[no-untyped-def]
    services, env, *_ = world
    assert (await services.environment(env.organisation_id, None)).id == env.id
    with pytest.raises(NotFound):
        await services.environment(env.organisation_id, env.id + 100)
    empty = services.store.create_organisation("Empty", [])
    with pytest.raises(NotConfigured, match="not configured"):
        await services.environment(empty, None)


@pytest.mark.parametrize(
    ("name", "kind", "expected"),
    [
        ("Coastal Freight Pty Ltd", "organisation", "Coastal Freight"),
        ("Acme Co.", "organisation", "Acme"),
        ("Pty Ltd", "organisation", "Pty Ltd"),
        ("Daniel O'Brien", "person", "Daniel O'Brien"),
        ("Mary Co", "person", "Mary Co"),
    ],
)
def test_contact_search_text_drops_legal_forms_of_organisations(name: str, kind: str, expected: str) -> None:
    mapped = apply_mapping(matter(parties=(party(1, name, kind),)))
    assert search_text(mapped.parties[1]) == expected


async def test_preview_says_which_system_it_waits_for_before_asking_it(world) -> None:  # type: ignore[no-untyped-def]
    services, env, agent, clio = world
    agent.matters["82001"] = matter()
    told: list[tuple[str, int, int]] = []  # (system, calls Aderant had, calls Clio Operate had) when told

    await preview_matter(services, env, "82001", waiting_for=lambda system: told.append((system, len(agent.calls), len(clio.calls))))

    assert told == [("Aderant", 0, 0), ("Clio Operate", 1, 0)]
    assert clio.calls, "Clio Operate was asked after it was named"


async def test_a_preview_waiting_for_aderant_names_it_and_is_forgotten_when_it_ends(world) -> None:  # type: ignore[no-untyped-def]
    services, env, agent, _ = world
    agent.matters["82001"] = matter()
    seen: list[tuple[str | None, str | None]] = []

    with services.waits.tracking(env.organisation_id, "t" * 16) as waiting:
        def told(system: str) -> None:
            waiting(system)
            seen.append((services.waits.system(env.organisation_id, "t" * 16), services.waits.system(env.organisation_id + 1, "t" * 16)))

        await preview_matter(services, env, "82001", waiting_for=told)

    assert seen == [("Aderant", None), ("Clio Operate", None)], "by organisation: another one hears nothing"
    assert services.waits.system(env.organisation_id, "t" * 16) is None
