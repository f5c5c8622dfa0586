"""Query-string parameters, validated; a bad one is a 400 whose message names it."""

from __future__ import annotations

from datetime import date

from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException


def bad_parameter(message: str) -> HTTPException:
    return HTTPException(status_code=400, detail=message)


def text_param(params: QueryParams, name: str, *, max_length: int) -> str:
    value = params.get(name, "").strip()
    if not 1 <= len(value) <= max_length:
        raise bad_parameter(f"{name} must be 1 to {max_length} characters")
    return value


def int_param(
    params: QueryParams, name: str, *, default: int, minimum: int, maximum: int | None = None
) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value: int | None = int(raw)
    except ValueError:
        value = None
    if value is None or value < minimum or (maximum is not None and value > maximum):
        upper = f" to {maximum}" if maximum is not None else " or more"
        raise bad_parameter(f"{name} must be an integer from {minimum}{upper}")
    return value


def list_param(params: QueryParams, name: str, *, max_items: int) -> list[str]:
    """Comma-separated values, blanks dropped, duplicates removed (first occurrence kept)."""
    values = [value.strip() for value in params.get(name, "").split(",")]
    unique = list(dict.fromkeys(value for value in values if value))
    if not 1 <= len(unique) <= max_items:
        raise bad_parameter(f"{name} must list 1 to {max_items} comma-separated values")
    return unique


def int_list_param(params: QueryParams, name: str, *, max_items: int) -> list[int]:
    values = list_param(params, name, max_items=max_items)
    try:
        return list(dict.fromkeys(int(value) for value in values))
    except ValueError:
        raise bad_parameter(f"{name} must be comma-separated integers") from None


def date_param(params: QueryParams, name: str) -> date:
    try:
        return date.fromisoformat(params.get(name, ""))
    except ValueError:
        raise bad_parameter(f"{name} must be a date (YYYY-MM-DD)") from None
