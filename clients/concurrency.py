"""Splitting big requests into chunks and running them with a bounded number in flight."""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

log = logging.getLogger("pms_sync.concurrency")


def chunked(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def gather_bounded(items: Sequence[T], call: Callable[[T], Awaitable[R]], limit: int) -> list[R]:
    """`call` on every item, at most `limit` at once; results in the order of `items`.

    The first failure cancels the calls still running and is raised; any other that failed at the
    same moment is logged.
    """
    semaphore = asyncio.Semaphore(limit)

    async def bounded(item: T) -> R:
        async with semaphore:
            return await call(item)

    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(bounded(item)) for item in items]
    except ExceptionGroup as failures:
        for other in failures.exceptions[1:]:
            log.error("a bounded call failed beside the one raised: %s", type(other).__name__, exc_info=other)
        raise failures.exceptions[0] from None
    return [task.result() for task in tasks]


async def settle_bounded(items: Sequence[T], call: Callable[[T], Awaitable[R]], limit: int) -> list[R | Exception]:
    """Like `gather_bounded`, but every call runs to its end: a failure takes its item's place in the
    results instead of cancelling the others (for calls whose side effects must all be recorded)."""

    async def settled(item: T) -> R | Exception:
        try:
            return await call(item)
        except Exception as exc:
            return exc

    return await gather_bounded(items, settled, limit)
