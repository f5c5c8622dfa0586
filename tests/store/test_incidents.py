"""The store behind Settings → Status's alerts: replicas' observations, and the incident changed
only by compare-and-set, so of two replicas making the same change exactly one makes it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from store.incidents import IncidentStore, Problem
from store.repository import Store
from tests.store.test_store import make_env

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
AGENT = Problem("hop:agent", "Aderant agent: the last 3 calls failed (last: 5xx)")
RUNS = Problem("runs", "Scheduled runs: the last 3 runs failed")


def test_what_replicas_heard_from_lately_see_is_merged_and_older_observations_forgotten(store: Store) -> None:
    org = store.create_organisation("Firm", [])
    env = make_env(store, org)
    incidents = IncidentStore(store.engine)
    live = timedelta(seconds=90)

    assert incidents.observe(org, env, "a", (AGENT,), NOW, NOW - live) == (AGENT,)
    later = NOW + timedelta(seconds=30)
    assert incidents.observe(org, env, "b", (RUNS, AGENT), later, later - live) == (RUNS, AGENT), "freshest first, once each"
    assert incidents.observe(org, env, "a", (), later, later - live) == (RUNS, AGENT), "b still sees them"
    much_later = NOW + timedelta(minutes=5)
    assert incidents.observe(org, env, "a", (), much_later, much_later - live) == (), "b was not heard from since"


def test_of_two_replicas_opening_or_closing_the_same_incident_one_does(store: Store) -> None:
    org = store.create_organisation("Firm", [])
    env = make_env(store, org)
    incidents = IncidentStore(store.engine)

    opened = incidents.open(org, env, (AGENT,), NOW, after=None)
    assert opened is not None and opened.is_open
    assert incidents.open(org, env, (RUNS,), NOW, after=None) is None, "the other replica read no incident too: too late"
    assert incidents.incident(org, env) == opened

    closed = incidents.close(org, env, opened, NOW + timedelta(minutes=20))
    assert closed is not None and not closed.is_open and closed.problems == (AGENT,)
    assert incidents.close(org, env, opened, NOW + timedelta(minutes=21)) is None
    assert incidents.incident(org, env) == closed

    reopened = incidents.open(org, env, (RUNS,), NOW + timedelta(hours=1), after=closed)
    assert reopened is not None and incidents.open(org, env, (AGENT,), NOW, after=closed) is None
    assert incidents.undo(org, env, reopened, before=closed), "its card was not sent: as if never opened"
    assert incidents.incident(org, env) == closed
    assert not incidents.undo(org, env, reopened, before=closed), "no longer the incident: nothing put back"

    again = incidents.open(org, env, (RUNS,), NOW + timedelta(hours=2), after=closed)
    assert again is not None
    assert not incidents.undo(org, env, opened, before=None), "an older change is not undone"
    assert incidents.incident(org, env) == again
