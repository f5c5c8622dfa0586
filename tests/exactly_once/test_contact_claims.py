"""The store's claim on one Aderant name's contact per environment, through two Store instances
on one database (two replicas): one creator, the others wait and reuse; a create whose outcome is
unknown is retaken only by the attempt that compares its send time."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from store.db import make_engine
from store.imports import Attempt, Claim, ExistingContact
from store.repository import Store
from store.secrets import SecretBox
from tests.store.test_store import make_env

LEASE = timedelta(seconds=15)


@pytest.fixture
def replicas(database_url: str, secret_box: SecretBox) -> Iterator[tuple[Store, Store]]:
    first, second = Store(make_engine(database_url), secret_box), Store(make_engine(database_url), secret_box)
    yield first, second
    first.engine.dispose()
    second.engine.dispose()


def claims(store: Store, count: int) -> tuple[Attempt, list[Claim]]:
    org = store.create_organisation("Firm", [])
    env = make_env(store, org)
    made = []
    for number in range(count):
        attempt = Attempt(org, env, str(1000 + number), str(1000 + number), "staff@firm.test")
        made.append(store.imports.claim(attempt, LEASE))
    return attempt, made


def test_one_claim_per_name_across_replicas(replicas: tuple[Store, Store]) -> None:
    first, second = replicas
    attempt, held = claims(first, 6)

    def claim(i: int) -> str:
        store = (first, second)[i % 2]
        return store.imports.claim_contact(attempt, held[i], 300000, LEASE).kind

    with ThreadPoolExecutor(max_workers=6) as pool:
        kinds = sorted(pool.map(claim, range(6)))
    assert kinds == ["busy"] * 5 + ["claimed"]

    second.imports.contacts_exist(attempt, held[1], [ExistingContact(300000, "ods-1", "person", created=True)])
    slot = first.imports.claim_contact(attempt, held[0], 300000, LEASE)
    assert (slot.kind, slot.ods_id) == ("created", "ods-1")


def test_an_unknown_create_is_retaken_once(replicas: tuple[Store, Store]) -> None:
    first, second = replicas
    attempt, (a, b, c) = claims(first, 3)
    assert first.imports.claim_contact(attempt, a, 300001, LEASE).kind == "claimed"
    first.imports.contact_unknown(attempt, 300001)

    seen = second.imports.claim_contact(attempt, b, 300001, LEASE)
    assert seen.kind == "unknown" and seen.sent_at is not None
    assert second.imports.retake_contact(attempt, b, 300001, seen.sent_at, LEASE)
    assert not first.imports.retake_contact(attempt, c, 300001, seen.sent_at, LEASE), "taken by b already"
    assert first.imports.claim_contact(attempt, c, 300001, LEASE).kind == "busy"


def test_a_refused_create_frees_the_name(replicas: tuple[Store, Store]) -> None:
    first, second = replicas
    attempt, (a, b) = claims(first, 2)
    assert first.imports.claim_contact(attempt, a, 300002, LEASE).kind == "claimed"
    first.imports.contacts_not_created(attempt, a, [300002])
    assert second.imports.claim_contact(attempt, b, 300002, LEASE).kind == "claimed"


def test_a_dead_creator_leaves_an_unknown_outcome(replicas: tuple[Store, Store]) -> None:
    first, second = replicas
    attempt, (a, b) = claims(first, 2)
    assert first.imports.claim_contact(attempt, a, 300003, timedelta(0)).kind == "claimed"  # its lease ran out
    assert second.imports.claim_contact(attempt, b, 300003, LEASE).kind == "unknown"


def test_an_imports_contacts_are_claimed_in_one_batch_whatever_their_state(replicas: tuple[Store, Store]) -> None:
    first, second = replicas
    attempt, (mine, theirs) = claims(first, 2)
    assert second.imports.claim_contact(attempt, theirs, 300010, LEASE).kind == "claimed"
    second.imports.contacts_exist(attempt, theirs, [ExistingContact(300011, "ods-11", "person", created=False)])

    slots = first.imports.claim_contacts(attempt, mine, [300012, 300010, 300011], LEASE)

    assert {uno: (slot.kind, slot.ods_id) for uno, slot in slots.items()} == {
        300010: ("busy", None), 300011: ("created", "ods-11"), 300012: ("claimed", None),
    }
    assert second.imports.claim_contact(attempt, theirs, 300012, LEASE).kind == "busy"  # the batch committed
