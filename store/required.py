"""Values known to be there that their type says may be missing: a row's id once it is flushed,
a claim's import once it is taken."""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


class MissingValue(RuntimeError):
    """A value that is always there at this point is missing: a bug, never a user's error."""


def required(value: T | None, what: str) -> T:
    """``value``, known not to be None here; raises ``MissingValue`` naming ``what`` when it is."""
    if value is None:
        raise MissingValue(f"{what} is missing")
    return value
