"""What a statement's result says beyond its rows."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Result


def rows_changed(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE changed.

    ``Session.execute`` types every result as ``Result``; for an UPDATE or a DELETE it is a
    ``CursorResult``, the one that has ``rowcount``, which SQLAlchemy's overloads cannot express."""
    return cast(CursorResult[Any], result).rowcount
