"""Cut lists so every response body stays under the Azure Relay message limit."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import TypeVar

RESPONSE_BYTE_LIMIT = 60_000
"""Bodies stay under this many bytes, below the 64 kB Azure Relay limit."""

T = TypeVar("T")

Envelope = Callable[[list[T], int | None], object]
"""Builds the whole response body from the kept items and the next offset."""


def encode_json(content: object) -> bytes:
    return json.dumps(
        content, ensure_ascii=False, allow_nan=False, separators=(",", ":")
    ).encode("utf-8")


def render_page(
    candidates: Sequence[T],
    *,
    offset: int,
    limit: int,
    envelope: Envelope[T],
    budget: int = RESPONSE_BYTE_LIMIT,
) -> bytes:
    """The encoded envelope with as many of the first ``limit`` candidates as fit in ``budget``.

    ``candidates`` may hold one look-ahead item beyond ``limit``, which only tells whether more
    exist. ``next_offset`` is ``None`` when everything from ``offset`` on was returned. The first
    item is always kept, so a client makes progress even if one item alone exceeds the budget.
    """
    page = list(candidates[:limit])
    more_beyond_page = len(candidates) > limit
    # the widest next_offset this page can report, or null, whichever encodes longer
    size = max(
        len(encode_json(envelope([], None))),
        len(encode_json(envelope([], offset + len(page)))),
    )
    kept = 0
    for item in page:
        item_size = len(encode_json(item)) + (1 if kept else 0)  # comma before all but the first
        if kept and size + item_size >= budget:
            break
        size += item_size
        kept += 1
    more = more_beyond_page or kept < len(page)
    return encode_json(envelope(page[:kept], offset + kept if more else None))


def items_envelope(items: list[T], next_offset: int | None) -> dict[str, object]:
    return {"items": items, "next_offset": next_offset}
