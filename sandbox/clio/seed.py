"""The deterministic seed of every sandbox tenant (Production and UAT hold the same data, except
for one user only UAT knows).

Ids are uuid5 values of fixed names, so they are the same on every start and after a reset.
The configuration imitates the demo `matter` solution Sharedo publishes (phase plan
`matter-states`, roles, key dates); the contacts imitate the parties of the sandbox Aderant matters.
"""

from __future__ import annotations

import functools
import random
import uuid
from datetime import UTC, datetime

from sandbox.clio.model import (
    ContactDetail,
    Form,
    Location,
    Organisation,
    Participant,
    ParticipantRole,
    Person,
    Phase,
    PhasePlan,
    Team,
    Transition,
    User,
    WorkItem,
    WorkType,
)
from sandbox.clio.state import TenantState

_NAMESPACE = uuid.UUID("6b1f3a52-8c1e-4d0b-9a57-5a0d2c3e7f10")


SEEDED_AT = datetime(2025, 11, 3, 22, 0, tzinfo=UTC)  # when the named contacts were created


@functools.cache  # every tenant of every sandbox seeds the same few hundred ids
def stable_id(name: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, name))


CLIENT_ID = "pms-sync"
CLIENT_SECRET = "sandbox-secret"
# The client PMS Sync's standalone sign-in uses (authorization code with PKCE): in Clio Operate a
# separate registration from the service client, whose flow is client credentials.
SIGN_IN_CLIENT_ID = "pms-sync-sign-in"
SIGN_IN_CLIENT_SECRET = "sandbox-sign-in-secret"
PORTAL_CLIENT_ID = "sharedo"
CLIENT_NAMES = {CLIENT_ID: "PMS Sync", SIGN_IN_CLIENT_ID: "PMS Sync sign-in", PORTAL_CLIENT_ID: "Sharedo"}
PROVIDER = "idsrv"

ADMIN_USERNAME = "admin@sandbox.test"
STAFF_USERNAME = "staff@sandbox.test"
UAT_ONLY_USERNAME = "uat-only@sandbox.test"
VISITOR_USERNAME = "visitor@sandbox.test"
ADMIN_USER_ID = stable_id("user:admin")
STAFF_USER_ID = stable_id("user:staff")
UAT_ONLY_USER_ID = stable_id("user:uat-only")
VISITOR_USER_ID = stable_id("user:visitor")
FIRM_ORGANISATION_ID = stable_id("organisation:firm")

TEAM_LITIGATION_SYDNEY_ID = stable_id("team:litigation-sydney")
TEAM_COMMERCIAL_SYDNEY_ID = stable_id("team:commercial-sydney")
TEAM_RISK_COMPLIANCE_ID = stable_id("team:risk-compliance")
TEAM_PROPERTY_MELBOURNE_ID = stable_id("team:property-melbourne")

HARBOUR_HOLDINGS_ID = stable_id("organisation:harbour-holdings")
MARY_CITIZEN_ID = stable_id("person:mary-citizen")
MARY_CITIZENS_ID = stable_id("person:mary-citizens")
COASTAL_FREIGHT_ID = stable_id("organisation:coastal-freight")

IMPORTED_WORK_ITEM_ID = stable_id("work-item:aderant-82003")
"""A matter imported before the demo starts (Aderant matter 82003)."""

KEY_DATES = ("kd-instruction-date", "kd-long-stop")

_PARTIES = ("organisation", "person")
MATTER_ROLES = (
    ParticipantRole("client", "Client", "matter-team", _PARTIES),
    ParticipantRole("other-side", "Other Side", "other-parties", _PARTIES),
    ParticipantRole("other-side-solicitor", "Other Side Solicitor", "other-parties", _PARTIES),
    ParticipantRole("interested-party", "Interested Party", "other-parties", _PARTIES),
    ParticipantRole(
        "matter-owner", "Matter Owner", "matter-team", ("person", "team", "user"), is_primary_owner=True
    ),
    ParticipantRole(
        "contributor",
        "Contributor",
        "system-participants",
        ("team", "user"),
        is_team_role=True,
        is_security_team_role=True,
    ),
    ParticipantRole("reader", "Reader", "security", ("team",), is_team_role=True, is_security_team_role=True),
    ParticipantRole(
        "client-read-only",
        "Client (Read Only)",
        "security",
        ("team",),
        is_team_role=True,
        is_security_team_role=True,
    ),
)
WITNESS_ROLE = ParticipantRole("witness", "Witness", "other-parties", ("person",))

WORK_TYPES = (
    WorkType("matter", "Matter", is_abstract=True, roles=MATTER_ROLES, key_dates=KEY_DATES),
    WorkType("matter-litigation", "Litigation", is_abstract=False, parent="matter", roles=(WITNESS_ROLE,)),
    WorkType("matter-commercial", "Commercial", is_abstract=False, parent="matter"),
    WorkType("matter-property", "Property", is_abstract=False, parent="matter"),
    WorkType("matter-private-client", "Private Client", is_abstract=True, parent="matter"),
    WorkType(
        "matter-private-client-general",
        "Private Client – General",
        is_abstract=False,
        parent="matter-private-client",
    ),
)

ADERANT_FORM = Form(
    "aderant",
    (
        "aderant-matter-id", "aderant-matter-code", "aderant-client-id", "aderant-client-code", "aderant-office",
        "aderant-department", "aderant-responsible-employee", "aderant-billing-employee", "aderant-status",
    ),
)
"""The form holding what PMS Sync's default mapping writes (the matter id in `aderant-matter-id`)."""

PHASE_PLAN = PhasePlan(
    system_name="matter-states",
    phases=(
        Phase("matter-discovery", "Discovery", "fa-search", is_start=True),
        Phase("matter-handling", "Handling", "fa-briefcase"),
        Phase("matter-on-hold", "On Hold", "fa-pause"),
        Phase("matter-closing", "Closing", "fa-flag-checkered"),
        Phase("matter-closed", "Closed", "fa-check", is_open=False),
        Phase("matter-abandoned", "Abandoned", "fa-ban", is_open=False),
        Phase("matter-deleted", "Deleted", "fa-trash", is_open=False, is_removed=True),
    ),
    transitions=(
        Transition("matter-discovery", "matter-handling", "Start Handling", is_optimum_path=True),
        Transition("matter-discovery", "matter-abandoned", "Abandon"),
        Transition("matter-handling", "matter-closing", "Start Closing", is_optimum_path=True),
        Transition("matter-handling", "matter-on-hold", "Put On Hold"),
        Transition("matter-handling", "matter-abandoned", "Abandon"),
        Transition("matter-on-hold", "matter-handling", "Resume"),
        Transition("matter-closing", "matter-closed", "Close", is_optimum_path=True),
        Transition("matter-abandoned", "matter-handling", "Re-Open"),
    ),
)

PERSONA = "internal-user"
ROLE_PERMISSIONS = {
    "system-administrator": ("core.admin.access", "core.admin.jumptophase", "core.sharedo.updateAny"),
    "matter-handler": (
        "core.sharedo.create.matter",
        "core.ods.person.create",
        "core.ods.organisation.create",
    ),
}
CLIENT_PERMISSIONS = (
    "core.sharedo.create.matter",
    "core.sharedo.updateAny",
    "core.ods.person.create",
    "core.ods.organisation.create",
)

USERS = (
    User(ADMIN_USER_ID, ADMIN_USERNAME, "Ada", "Admin", ("system-administrator", "matter-handler")),
    User(STAFF_USER_ID, STAFF_USERNAME, "Sam", "Staff", ("matter-handler",)),
)
# Tenant-specific users: an administrator of UAT whom Production does not know, to show that each
# environment is its own security boundary; and a portal user of Production whose Clio Operate
# roles are not among its staff roles (views.demo.STAFF_ROLES), so PMS Sync refuses them.
TENANT_USERS = {
    "production": (User(VISITOR_USER_ID, VISITOR_USERNAME, "Vic", "Visitor", ("portal-user",)),),
    "uat": (User(UAT_ONLY_USER_ID, UAT_ONLY_USERNAME, "Uma", "Tester", ("system-administrator", "matter-handler")),),
}

TEAMS = (
    Team(TEAM_LITIGATION_SYDNEY_ID, "Litigation – Sydney", "Structural", "LIT-SYD"),
    Team(TEAM_COMMERCIAL_SYDNEY_ID, "Commercial – Sydney", "Structural", "COM-SYD"),
    Team(TEAM_RISK_COMPLIANCE_ID, "Risk & Compliance", "ACL", "RISK"),
    Team(TEAM_PROPERTY_MELBOURNE_ID, "Property – Melbourne", "Structural", "PROP-MEL"),
)

_FIRST_NAMES = (
    "Olivia", "Jack", "Charlotte", "William", "Amelia", "Noah", "Isla", "Thomas", "Mia", "James",
    "Grace", "Lucas", "Chloe", "Henry", "Zara", "Liam", "Priya", "Arjun", "Mei", "Wei", "Aisha",
    "Omar", "Sofia", "Mateo", "Hannah", "Ethan", "Ruby", "Oscar", "Evie", "Samuel",
)  # fmt: skip
_SURNAMES = (
    "Smith", "Nguyen", "Williams", "Brown", "Wilson", "Taylor", "Johnson", "White", "Martin",
    "Anderson", "Thompson", "Walker", "Harris", "Lee", "Ryan", "Robinson", "Kelly", "King", "Chen",
    "Patel", "Singh", "Wang", "Zhang", "Murphy", "Campbell", "Stewart", "Mitchell", "Young", "Clarke",
    "Hughes",
)  # fmt: skip
_BUSINESS_WORDS = (
    "Bluegum", "Southern Cross", "Ironbark", "Banksia", "Summit", "Meridian", "Redgum", "Waratah",
    "Northside", "Eastern", "Golden Wattle", "Silverwater", "Kookaburra", "Outback", "Riverside",
)  # fmt: skip
_INDUSTRIES = (
    "Construction", "Logistics", "Capital", "Engineering", "Health", "Developments", "Mining",
    "Retail", "Software", "Energy", "Agriculture", "Consulting",
)  # fmt: skip
_SUFFIXES = ("Pty Ltd", "Ltd", "Group", "Holdings Pty Ltd", "Partners")


def _generated_people(rng: random.Random, count: int) -> list[Person]:
    names = sorted({(first, last) for first in _FIRST_NAMES for last in _SURNAMES})
    people = []
    for index, (first, last) in enumerate(rng.sample(names, count)):
        email = ContactDetail(
            stable_id(f"contact:person:{index}"), "email", f"{first}.{last}@example.com".lower(), True
        )
        people.append(
            Person(
                id=stable_id(f"person:generated:{index}"),
                first_name=first,
                surname=last,
                reference=f"CRM-P{1000 + index}" if index % 3 == 0 else None,
                contact_details=[email] if index % 2 == 0 else [],
            )
        )
    return people


def _generated_organisations(rng: random.Random, count: int) -> list[Organisation]:
    names: set[str] = set()
    while len(names) < count:
        if rng.random() < 0.3:
            first, second = rng.sample(_SURNAMES, 2)
            names.add(f"{first} & {second} Lawyers")
        else:
            names.add(f"{rng.choice(_BUSINESS_WORDS)} {rng.choice(_INDUSTRIES)} {rng.choice(_SUFFIXES)}")
    return [
        Organisation(
            id=stable_id(f"organisation:generated:{index}"),
            name=name,
            reference=f"CRM-O{2000 + index}" if index % 4 == 0 else None,
        )
        for index, name in enumerate(sorted(names))
    ]


def _named_contacts(users: tuple[User, ...]) -> tuple[list[Person], list[Organisation]]:
    people = [
        *(
            Person(
                user.id,
                user.first_name,
                user.surname,
                is_user=True,
                contact_details=[
                    ContactDetail(stable_id(f"contact:{user.id}"), "email", user.username, True)
                ],
            )
            for user in users
        ),
        # Two look-alikes for Aderant's Mary Citizen (mary.citizen@example.com, Newtown 2042):
        # the same postcode and no e-mail, or another e-mail, phone and city. Neither is strong
        # evidence, so the preview creates by default and shows why each differs.
        Person(
            MARY_CITIZEN_ID, "Mary", "Citizen",
            locations=[Location(stable_id("location:mary-citizen"), "4 Example Street", "Newtown", "2042", "NSW")],
            created=SEEDED_AT,
        ),
        Person(
            MARY_CITIZENS_ID, "Mary", "Citizens", reference="CRM-P0042",
            contact_details=[
                ContactDetail(stable_id("contact:mary-citizens:email"), "email", "mary.citizens@example.org", True),
                ContactDetail(stable_id("contact:mary-citizens:mobile"), "mobile", "+61 400 555 042", True),
            ],
            locations=[Location(stable_id("location:mary-citizens"), "80 Collins Street", "Melbourne", "3000", "VIC")],
            created=datetime(2024, 9, 16, 4, 12, tzinfo=UTC),
        ),
    ]
    organisations = [
        Organisation(FIRM_ORGANISATION_ID, "Sandbox Legal Pty Ltd", reference="FIRM"),
        Organisation(
            HARBOUR_HOLDINGS_ID,
            "Harbour Holdings Pty Ltd",
            reference="ADERANT:90001",
            external_reference="ADERANT:90001",
            contact_details=[ContactDetail(stable_id("contact:harbour"), "phone", "+61 2 5550 1000", True)],
            locations=[Location(stable_id("location:harbour"), "1 Circular Quay", "Sydney", "2000", "NSW")],
            created=SEEDED_AT,
        ),
        Organisation(COASTAL_FREIGHT_ID, "Coastal Freight Ltd"),
    ]
    return people, organisations


def _imported_work_item(organisations: dict[str, Organisation], teams: dict[str, Team]) -> WorkItem:
    roles = {role.system_name: role for role in MATTER_ROLES}
    staff = next(user for user in USERS if user.username == STAFF_USERNAME)
    client = organisations[HARBOUR_HOLDINGS_ID]
    team = teams[TEAM_COMMERCIAL_SYDNEY_ID]
    return WorkItem(
        id=IMPORTED_WORK_ITEM_ID,
        type_system_name="matter-commercial",
        title="Harbour Holdings — employment advice",
        reference="CL080001/82003",
        description="Imported from Aderant matter 82003.",
        title_is_user_provided=True,
        reference_is_user_provided=True,
        phase=PHASE_PLAN.phase("matter-handling"),
        created=datetime(2026, 2, 10, 9, 30, tzinfo=UTC),
        attributes={
            "aderant-matter-id": "82003",
            "aderant-matter-code": "82003",
            "aderant-client-id": "8001",
            "aderant-client-code": "CL080001",
        },
        key_dates={"kd-instruction-date": "2026-01-15"},
        participants=[
            Participant(roles["client"], client.id, "organisation", client.name),
            Participant(roles["matter-owner"], staff.id, "user", staff.full_name),
            Participant(roles["reader"], team.id, "team", team.name),
        ],
    )


def build_state(tenant: str = "production") -> TenantState:
    """A fresh copy of the seeded state of `tenant`."""
    rng = random.Random(82001)
    users = USERS + TENANT_USERS.get(tenant, ())
    people, organisations = _named_contacts(users)
    people += _generated_people(rng, 120)
    organisations += _generated_organisations(rng, 80)
    state = TenantState(
        users={user.id: user for user in users},
        people={p.id: p for p in people},
        organisations={o.id: o for o in organisations},
        teams={t.id: t for t in TEAMS},
        work_types={t.system_name: t for t in WORK_TYPES},
        phase_plan=PHASE_PLAN,
        forms={ADERANT_FORM.system_name: ADERANT_FORM},
    )
    item = _imported_work_item(state.organisations, state.teams)
    state.work_items[item.id] = item
    return state
