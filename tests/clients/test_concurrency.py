"""Bounded concurrency: at most `limit` calls at once, results in the items' order."""

import asyncio

import pytest

from clients.concurrency import chunked, gather_bounded, settle_bounded


class Counter:
    """A call that sleeps, counting how many run at once and which finished or were cancelled."""

    def __init__(self, fail: set[int] = frozenset()) -> None:
        self.running = self.most = 0
        self.finished: list[int] = []
        self.cancelled: list[int] = []
        self.fail = fail

    async def __call__(self, item: int) -> int:
        self.running += 1
        self.most = max(self.most, self.running)
        try:
            await asyncio.sleep(0.01 * (5 - item % 5))
            if item in self.fail:
                raise ValueError(f"item {item}")
            self.finished.append(item)
            return item * 10
        except asyncio.CancelledError:
            self.cancelled.append(item)
            raise
        finally:
            self.running -= 1


def test_chunked_splits_in_order() -> None:
    assert list(chunked([1, 2, 3, 4, 5], 2)) == [[1, 2], [3, 4], [5]]


async def test_gather_bounded_keeps_order_and_the_bound() -> None:
    call = Counter()
    assert await gather_bounded(list(range(10)), call, 3) == [i * 10 for i in range(10)]
    assert call.most == 3


async def test_gather_bounded_raises_the_first_failure_and_cancels_the_rest() -> None:
    call = Counter(fail={4})  # the quickest to answer
    with pytest.raises(ValueError, match="item 4"):
        await gather_bounded(list(range(10)), call, 10)
    assert 0 in call.cancelled and call.running == 0, "the slowest was cancelled, and nothing runs on, by the time it raised"


async def test_settle_bounded_runs_every_call_and_returns_failures_in_place() -> None:
    call = Counter(fail={1, 4})
    results = await settle_bounded(list(range(6)), call, 2)
    assert [r if isinstance(r, int) else str(r) for r in results] == [0, "item 1", 20, 30, "item 4", 50]
    assert sorted(call.finished) == [0, 2, 3, 5] and call.most == 2


async def test_gather_bounded_logs_a_failure_beside_the_one_it_raises(caplog: pytest.LogCaptureFixture) -> None:
    """Two calls fail at the same moment (woken by one event): one is raised, the other logged."""
    go = asyncio.Event()

    async def call(item: int) -> int:
        await go.wait()
        if item in (1, 2):
            raise ValueError(f"item {item}")
        await asyncio.Event().wait()  # never answers: cancelled by the failure
        return item

    asyncio.get_running_loop().call_soon(go.set)
    with caplog.at_level("ERROR", logger="pms_sync.concurrency"), pytest.raises(ValueError, match="item 1"):
        await gather_bounded([0, 1, 2, 3], call, 4)
    [logged] = caplog.records
    assert logged.exc_info is not None and str(logged.exc_info[1]) == "item 2"
