"""Call-log analysis: remote systems and sequential round trips."""

from __future__ import annotations

from sandbox.calls import count_by_system, remote_system, sequential_depth
from sandbox.faults import Call


def call(path: str, started: float, finished: float) -> Call:
    return Call("GET", path, started, finished, 200)


def test_no_calls_have_no_depth() -> None:
    assert sequential_depth([]) == 0


def test_overlapping_calls_are_one_round_trip() -> None:
    assert sequential_depth([call("/a", 0, 1), call("/b", 0.1, 1.2), call("/c", 0.9, 2)]) == 1


def test_a_call_that_starts_after_another_finished_is_one_more_round_trip() -> None:
    # agent, then three lookups at once, then one write after the slowest lookup
    calls = [
        call("/aderant/v1/matters/1", 0, 1),
        call("/production/api/ods/_search", 1, 2),
        call("/production/api/ods/_search", 1.01, 2.5),
        call("/production/api/ods/_search", 1.02, 2.1),
        call("/production/api/v1/public/workItem", 2.6, 3),
    ]
    assert sequential_depth(calls) == 3
    assert sequential_depth(reversed(calls)) == 3, "order of the log does not matter"


def test_the_longest_chain_counts_not_the_number_of_calls() -> None:
    # a short chain of two and a long call beside it
    calls = [call("/x", 0, 0.1), call("/y", 0.2, 0.3), call("/z", 0, 5)]
    assert sequential_depth(calls) == 2


def test_a_call_starting_exactly_when_another_finished_follows_it() -> None:
    assert sequential_depth([call("/a", 0, 1), call("/b", 1, 2)]) == 2


def test_dicts_from_the_control_api_work_too() -> None:
    calls = [{"method": "GET", "path": "/a", "started": 0, "finished": 1, "status": 200},
             {"method": "GET", "path": "/b", "started": 2, "finished": 3, "status": 200}]
    assert sequential_depth(calls) == 2
    assert count_by_system(calls) == {"other": 2}


def test_remote_systems_by_path() -> None:
    assert remote_system("/aderant/v1/matters/82001") == "aderant"
    assert remote_system("/relay/aderant/v1/matters/82001") == "aderant"  # through the stand-in relay
    assert remote_system("/production/api/ods/_search") == "clio-operate"
    assert remote_system("/uat/identity/connect/token") == "clio-operate"
    assert remote_system("/production/portal/") == "other"
    calls = [call("/aderant/v1/matters", 0, 1), call("/production/api/ods/_search", 0, 1),
             call("/production/identity/connect/token", 0, 1)]
    assert count_by_system(calls) == {"aderant": 1, "clio-operate": 2}
