"""Who a caller is in another environment, with a fake tenant client: found by e-mail among users,
roles read by impersonation (else staff), refusals audited, answers cached for a few minutes."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx2
import pytest

from clients.clio_operate import ClioOperateClient, OdsContact, UserInfo
from clients.errors import RemoteRejected, RemoteUnavailable
from embed_auth.environment_access import EnvironmentAccess
from embed_auth.portal_access import PortalAccess, refusal
from embed_auth.principal import ADMINISTRATOR, STAFF, AccessRefused, Principal
from store.members import MemberStore
from store.repository import EnvironmentSettings, Store
from tests.environments import events_after_set_up, save_environment

EMAIL = "ada@firm.test"
PERSON = "person-in-production"


def environment(env_id: int, name: str, organisation_id: int) -> EnvironmentSettings:
    return EnvironmentSettings(
        id=env_id, organisation_id=organisation_id, name=name, is_default=env_id == 1,
        identity_url=f"https://{name.lower()}-identity.test", api_url=f"https://{name.lower()}.test", client_id="c",
        client_secret="s", portal_origins=(), work_item_url_template="{api_url}/{id}", agent_url="a", agent_key="k",
        relay_key_name=None, relay_key=None, import_writes_enabled=False, admin_roles=("system-administrator",),
    )


@dataclass
class FakeTenant:
    """Production's answers: the people its ODS search finds, and what impersonation gives."""

    people: list[OdsContact] = field(default_factory=list)
    impersonated: UserInfo | Exception | None = None
    searches: list[str] = field(default_factory=list)
    impersonations: list[tuple[str, str]] = field(default_factory=list)
    fail_search: Exception | None = None

    async def search_contacts(self, text: str, *, kinds: tuple[str, ...] = (), rows: int = 10) -> list[OdsContact]:
        self.searches.append(text)
        if self.fail_search:
            raise self.fail_search
        return self.people

    async def impersonated_user_info(self, user_name: str, provider: str) -> UserInfo:
        self.impersonations.append((user_name, provider))
        if isinstance(self.impersonated, Exception):
            raise self.impersonated
        assert self.impersonated is not None
        return self.impersonated


def user(person_id: str = PERSON, email: str = EMAIL, *, is_user: bool = True) -> OdsContact:
    return OdsContact(person_id, "person", "Ada Admin", None, None, emails=(email,), is_user=is_user)


def info(roles: tuple[str, ...], user_id: str = PERSON) -> UserInfo:
    return UserInfo(True, user_id, EMAIL, "Ada Admin", "idsrv", roles, "pms-sync")


class Clock:
    now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def organisation(store: Store) -> int:
    org = store.create_organisation("Harbour Legal", ["system-administrator"])
    for name in ("Production", "UAT"):
        save_environment(
            store, org, name, identity_url=f"https://{name.lower()}-identity.test", api_url=f"https://{name.lower()}.test",
            client_id="c", client_secret="s", agent_url="https://agent.test", agent_key="k",
        )
    return org


def from_uat(organisation: int, *, role: str = ADMINISTRATOR, provider: str | None = "idsrv", name: str = EMAIL) -> Principal:
    return Principal("uat-id", name, "Ada", organisation, 2, role, identity_provider=provider)


def access(store: Store, tenant: FakeTenant, clock: Clock | None = None) -> EnvironmentAccess:
    return EnvironmentAccess(store, lambda env: tenant, clock=clock or Clock())  # type: ignore[arg-type, return-value]


async def test_roles_in_production_come_from_production(store: Store, organisation: int) -> None:
    tenant = FakeTenant([user()], info(("matter-handler",)))
    production = environment(1, "Production", organisation)

    there = await access(store, tenant).principal_in(from_uat(organisation), production, caller_key="k")

    assert (there.role, there.environment_id, there.user_id, there.clio_user_id) == (STAFF, 1, PERSON, PERSON)
    assert tenant.impersonations == [(EMAIL, "idsrv")]
    tenant.impersonated = info(("system-administrator",))
    again = await access(store, tenant).principal_in(from_uat(organisation), production, caller_key="k")
    assert again.role == ADMINISTRATOR


@pytest.mark.parametrize(
    "impersonated",
    [
        RemoteRejected("Clio Operate", "Production", "invalid_grant"),  # Production's identity claim differs
        info(("system-administrator",), user_id="someone-else"),  # impersonation found another person
    ],
)
async def test_roles_that_cannot_be_established_give_staff(store: Store, organisation: int, impersonated: object) -> None:
    tenant = FakeTenant([user()], impersonated)  # type: ignore[arg-type]
    there = await access(store, tenant).principal_in(from_uat(organisation), environment(1, "Production", organisation), caller_key="k")
    assert there.role == STAFF


async def test_without_a_known_identity_provider_production_grants_staff(store: Store, organisation: int) -> None:
    tenant = FakeTenant([user()], info(("system-administrator",)))
    there = await access(store, tenant).principal_in(from_uat(organisation, provider=None), environment(1, "Production", organisation), caller_key="k")
    assert there.role == STAFF and tenant.impersonations == []


@pytest.mark.parametrize(
    ("people", "name", "reason"),
    [
        ([], EMAIL, "Your account is not known in the Production tenant"),
        ([user(is_user=False)], EMAIL, "Your account is not known in the Production tenant"),  # a contact, not a user
        ([user(email="other@firm.test")], EMAIL, "Your account is not known in the Production tenant"),
        ([user(), user("another-person")], EMAIL, "2 users of the Production tenant have your e-mail address"),
        ([user()], "ada", "Your account is not known in the Production tenant"),  # no e-mail to look up by
    ],
)
async def test_someone_production_does_not_know_is_refused_and_audited(
    store: Store, organisation: int, people: list[OdsContact], name: str, reason: str
) -> None:
    tenant = FakeTenant(people, info(("system-administrator",)))
    with pytest.raises(AccessRefused, match=reason):
        await access(store, tenant).principal_in(from_uat(organisation, name=name), environment(1, "Production", organisation), caller_key="k")
    [event] = events_after_set_up(store, organisation)
    assert (event.type, event.environment_id, event.actor) == ("access.refused", 1, name)
    assert event.data["signed_in_environment_id"] == 2 and reason in event.data["reason"]


async def test_the_signed_in_environment_and_members_ask_no_tenant(store: Store, organisation: int) -> None:
    tenant = FakeTenant()
    checker = access(store, tenant)
    member = Principal(EMAIL, EMAIL, "Ada", organisation, None, ADMINISTRATOR)  # signed in outside Clio Operate

    assert await checker.principal_in(from_uat(organisation), environment(2, "UAT", organisation), caller_key="k") == from_uat(organisation)
    assert await checker.principal_in(member, environment(1, "Production", organisation), caller_key="k") == member
    assert tenant.searches == []


async def test_answers_are_cached_per_caller_and_environment_for_a_few_minutes(store: Store, organisation: int) -> None:
    tenant = FakeTenant([user()], info(("system-administrator",)))
    clock = Clock()
    checker = EnvironmentAccess(store, lambda env: tenant, ttl=300, clock=clock)  # type: ignore[arg-type, return-value]
    production = environment(1, "Production", organisation)

    for _ in range(3):
        await checker.principal_in(from_uat(organisation), production, caller_key="session-a")
    await checker.principal_in(from_uat(organisation), production, caller_key="session-b")
    assert len(tenant.searches) == 2
    clock.now += 301
    await checker.principal_in(from_uat(organisation), production, caller_key="session-a")
    assert len(tenant.searches) == 3


async def test_a_failed_lookup_is_not_cached(store: Store, organisation: int) -> None:
    tenant = FakeTenant([user()], info(("system-administrator",)), fail_search=RemoteUnavailable("Clio Operate", "Production", "HTTP 503"))
    checker = access(store, tenant)
    production = environment(1, "Production", organisation)
    with pytest.raises(RemoteUnavailable):
        await checker.principal_in(from_uat(organisation), production, caller_key="k")
    tenant.fail_search = None
    assert (await checker.principal_in(from_uat(organisation), production, caller_key="k")).role == ADMINISTRATOR
    assert events_after_set_up(store, organisation) == []


async def test_the_client_reads_a_users_roles_by_impersonation() -> None:
    """`Impersonate.Specified` with `impersonate_user` and `impersonate_provider`, client authenticated
    by Basic (sharedo-tech/sharedo-auth-samples clientCredentials/client-creds-dynamic.ps1, as in
    reference/sharedo-api.md §1.3), then userInfo with that token."""
    seen: list[httpx2.Request] = []

    def answer(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        if request.url.path == "/connect/token":
            return httpx2.Response(200, json={"access_token": "impersonated", "expires_in": 900, "token_type": "Bearer"})
        return httpx2.Response(200, json={"isAuthenticated": True, "userId": PERSON, "userName": EMAIL, "roles": ["system-administrator"]})

    async with httpx2.AsyncClient(transport=httpx2.MockTransport(answer)) as http:
        client = ClioOperateClient(
            identity_url="https://production-identity.test", api_url="https://production.test", client_id="pms-sync",
            client_secret="secret", environment_name="Production", http=http,
        )
        found = await client.impersonated_user_info(EMAIL, "idsrv")

    token, user_info = seen
    form = dict(httpx2.QueryParams(token.content.decode()))
    assert form == {"grant_type": "Impersonate.Specified", "scope": "sharedo", "impersonate_user": EMAIL, "impersonate_provider": "idsrv"}
    assert token.headers["authorization"].startswith("Basic ")
    assert user_info.headers["authorization"] == "Bearer impersonated"
    assert found.roles == ("system-administrator",) and found.user_id == PERSON


async def test_productions_staff_roles_and_the_members_decide_there_too(store: Store, organisation: int) -> None:
    """Signing in through UAT (which admits every portal user) does not open Production to someone
    without one of Production's staff roles, unless a member record says otherwise."""
    production = dataclasses.replace(environment(1, "Production", organisation), staff_roles=("matter-handler",))
    tenant = FakeTenant([user()], info(("portal-user",)))
    with pytest.raises(AccessRefused, match="no role on PMS Sync"):
        await access(store, tenant).principal_in(from_uat(organisation, role=STAFF), production, caller_key="k")
    tenant.impersonated = RemoteRejected("Clio Operate", "Production", "invalid_grant")  # roles unreadable
    with pytest.raises(AccessRefused, match="no role on PMS Sync"):
        await access(store, tenant).principal_in(from_uat(organisation, role=STAFF), production, caller_key="k")
    MemberStore(store.engine).add(organisation, EMAIL, "Ada", "staff", actor="a")
    there = await access(store, tenant).principal_in(from_uat(organisation, role=STAFF), production, caller_key="k")
    assert there.role == STAFF


async def test_a_role_refusal_names_who_to_ask_and_is_audited_once_across_replicas(store: Store, organisation: int) -> None:
    """Refused again and again, by two replicas with their own caches, one audit row a window."""
    store.set_organisation_access(
        organisation, admin_roles=["system-administrator"], staff_roles=[], contact="IT desk, ext. 4321", actor="a"
    )
    production = dataclasses.replace(environment(1, "Production", organisation), staff_roles=("matter-handler",))
    tenant = FakeTenant([user()], info(("portal-user",)))
    now = [datetime(2026, 3, 1, 9, 0, tzinfo=UTC)]
    replicas = [
        EnvironmentAccess(store, lambda env: tenant, clock=Clock(), portal=PortalAccess(store, clock=lambda: now[0]))  # type: ignore[arg-type, return-value]
        for _ in range(2)
    ]

    for checker in replicas * 3:
        with pytest.raises(AccessRefused) as refused:
            await checker.principal_in(from_uat(organisation, role=STAFF), production, caller_key="k")
        assert str(refused.value) == refusal("IT desk, ext. 4321")
    [event] = [e for e in store.audit_events(organisation) if e.type == "access.refused"]
    assert (event.environment_id, event.actor) == (1, EMAIL)
    assert event.data == {
        "reason": refusal("IT desk, ext. 4321"), "why": "no staff role in Clio Operate", "signed_in_environment_id": 2
    }
    assert len(tenant.searches) == 2, "each replica looked once, then answered from its cache"

    now[0] += timedelta(minutes=10)
    with pytest.raises(AccessRefused):
        await replicas[1].principal_in(from_uat(organisation, role=STAFF), production, caller_key="k")
    assert len([e for e in store.audit_events(organisation) if e.type == "access.refused"]) == 2


async def test_a_session_is_decided_again_from_its_own_tenant(store: Store, organisation: int) -> None:
    """An open portal session of Production: member role first, else Production's roles by
    impersonation; None (sign in again) when those cannot be read."""
    production = dataclasses.replace(environment(1, "Production", organisation), staff_roles=("matter-handler",))
    save_environment(
        store, organisation, "Production", identity_url=production.identity_url, api_url=production.api_url, client_id="c",
        client_secret=None, agent_url="https://agent.test", agent_key=None, staff_roles=["matter-handler"],
    )
    signed_in = Principal(PERSON, EMAIL, "Ada", organisation, 1, STAFF, identity_provider="idsrv")
    tenant = FakeTenant([user()], info(("matter-handler",)))
    checker = access(store, tenant)

    assert await checker.recheck(signed_in) == STAFF
    tenant.impersonated = info(("system-administrator",))
    assert await checker.recheck(signed_in) == ADMINISTRATOR
    tenant.impersonated = info(("portal-user",))
    with pytest.raises(AccessRefused, match="no role on PMS Sync"):
        await checker.recheck(signed_in)
    assert [(e.type, e.data["why"]) for e in events_after_set_up(store, organisation)] == [("sign_in.refused", "no staff role in Clio Operate")]
    assert await checker.recheck(dataclasses.replace(signed_in, identity_provider=None)) is None  # roles unreadable
    tenant.impersonated = RemoteRejected("Clio Operate", "Production", "unauthorized_client")
    assert await checker.recheck(signed_in) is None
    assert len(tenant.impersonations) == 4

    MemberStore(store.engine).add(organisation, EMAIL, "Ada", "staff", actor="a")
    assert await checker.recheck(signed_in) == STAFF and len(tenant.impersonations) == 4, "a member: no tenant call"
