"""The importing user as a participant of the new work item: by their Clio Operate id, or found
by e-mail when they signed in outside Clio Operate, and never by an e-mail sent as an id.

A user is added as odsType "person" with the user's id, as real callers do: Alter-Igor/Test
_IDE/WKExpressSydneyWater/WKExpressWidgetAgent.js (`odsType: "person", odsId:
$ui.pageContext.user.userid()`); an ODS person search by e-mail is how the portal finds users:
Alter-Igor/Test src/WebBased/Common/OdsHelper.ts (searchForUsers).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from clients.clio_models import OdsContact
from plugin.importer import Actor, import_matter
from tests.plugin.fakes import matter, party

EMAIL = "sam.staff@firm.example"


@pytest.fixture
def firm(world):  # type: ignore[no-untyped-def]
    services, env, agent, clio = world
    agent.matters["82001"] = matter(parties=(party(90002, "Coastal Freight Pty Ltd", "organisation"),))
    return services, replace(env, import_writes_enabled=True), clio


def user(ods_id: str, email: str = EMAIL, *, is_user: bool = True) -> OdsContact:
    return OdsContact(ods_id, "person", "Sam Staff", None, None, emails=(email,), is_user=is_user)


def people(clio) -> list[dict]:  # type: ignore[no-untyped-def]
    return [p for p in clio.bodies[0]["participants"] if p["odsType"] == "person"]


async def test_a_user_signed_in_through_clio_operate_is_added_by_their_id(firm) -> None:  # type: ignore[no-untyped-def]
    services, env, clio = firm
    actor = Actor("guid-1", EMAIL, env.organisation_id, clio_user_id="guid-1", signed_in_environment_id=env.id)

    result = await import_matter(services, env, actor, "82001")

    assert people(clio) == [{"roleSystemName": "contributor", "odsId": "guid-1", "odsType": "person", "odsReference": EMAIL}]
    assert result.warnings == []
    assert not any(call[0] == "search_contacts" and call[1] == EMAIL for call in clio.calls), "no lookup needed"


async def test_a_member_signed_in_outside_clio_operate_is_found_by_their_one_exact_e_mail(firm) -> None:  # type: ignore[no-untyped-def]
    services, env, clio = firm
    clio.contacts += [
        user("guid-7"),
        user("not-a-user", is_user=False),
        user("someone-else", "other." + EMAIL),  # the search finds it too; its e-mail is not the same
    ]
    actor = Actor(EMAIL, EMAIL, env.organisation_id)  # an OIDC member: no Clio Operate id

    result = await import_matter(services, env, actor, "82001")

    assert people(clio) == [{"roleSystemName": "contributor", "odsId": "guid-7", "odsType": "person", "odsReference": "Sam Staff"}]
    assert result.warnings == []


@pytest.mark.parametrize(
    ("found", "reason"),
    [
        ((), f"no Clio Operate user has the e-mail {EMAIL}"),
        (("guid-7", "guid-8"), f"2 Clio Operate users have the e-mail {EMAIL}"),
    ],
    ids=["none", "two"],
)
async def test_without_exactly_one_match_the_member_is_left_out_and_told_why(firm, found, reason) -> None:  # type: ignore[no-untyped-def]
    services, env, clio = firm
    clio.contacts += [user(ods_id) for ods_id in found]
    actor = Actor(EMAIL, EMAIL, env.organisation_id)

    result = await import_matter(services, env, actor, "82001")

    assert result.status == "imported" and people(clio) == []
    assert all(p["odsId"] != EMAIL for p in clio.bodies[0]["participants"]), "an e-mail is never sent as an ODS id"
    assert result.warnings == [f"You signed in outside Clio Operate, so you were not added as contributor: {reason}."]
    [attempt] = services.store.imports.history(env.organisation_id, environment_id=env.id)
    assert attempt.details["warnings"] == result.warnings


async def test_the_role_is_the_environments_and_can_be_switched_off(firm, world) -> None:  # type: ignore[no-untyped-def]
    services, env, clio = firm
    _, _, agent, _ = world
    agent.matters["82002"] = matter("82002", uno=82002)
    actor = Actor("guid-1", EMAIL, env.organisation_id, clio_user_id="guid-1", signed_in_environment_id=env.id)

    await import_matter(services, replace(env, clio_settings={"user_participant_role": "matter-owner"}), actor, "82001")
    await import_matter(services, replace(env, clio_settings={"user_participant_role": None}), actor, "82002")

    with_user, without = ([(p["roleSystemName"], p["odsId"]) for p in body["participants"]] for body in clio.bodies)
    assert ("matter-owner", "guid-1") in with_user
    assert all(ods_id != "guid-1" for _, ods_id in without)


async def test_a_user_signed_in_through_another_environment_is_looked_up_here(firm) -> None:  # type: ignore[no-untyped-def]
    """A user's id belongs to the tenant they signed in through; another tenant may not know it."""
    services, env, clio = firm
    clio.contacts.append(user("guid-here"))
    actor = Actor("guid-there", EMAIL, env.organisation_id, clio_user_id="guid-there", signed_in_environment_id=env.id + 1)

    result = await import_matter(services, env, actor, "82001")

    assert [p["odsId"] for p in people(clio)] == ["guid-here"] and result.warnings == []
