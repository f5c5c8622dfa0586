"""Reading what a request says (ids, matter numbers, whole numbers, JSON bodies) at the edge, so
input a remote system or the database cannot take is refused in plain words (400 or 404), never
met as a crash further in."""

from __future__ import annotations

import json
import re
from datetime import date

from starlette.convertors import IntegerConvertor, register_url_convertor
from starlette.requests import Request

from plugin.errors import InvalidInput

MAX_ID = 2**31 - 1  # ids are INTEGER columns: PostgreSQL's integer range bounds every id
MATTER_NUMBER_LENGTH = 50  # the width of the stored matter number
_DIGITS = re.compile(r"[0-9]{1,10}")


class RecordId(IntegerConvertor):
    """A record id in a path (``{attempt_id:id}``). A number beyond the integer range names no
    record: it reads as 0, which no record has (ids start at 1), so the page answers 404."""

    regex = "[0-9]{1,18}"

    def convert(self, value: str) -> int:
        number = int(value)
        return number if number <= MAX_ID else 0


register_url_convertor("id", RecordId())  # before any route table that uses ``:id`` is built


def whole_number(value: str | None, name: str) -> int | None:
    """A positive whole number from a query parameter (None when absent), within the id range."""
    if value in (None, ""):
        return None
    if not _DIGITS.fullmatch(value) or not 1 <= int(value) <= MAX_ID:
        raise InvalidInput(f"{name} must be a whole number between 1 and {MAX_ID}.")
    return int(value)


def day(value: str | None, name: str) -> date | None:
    """A date from a query parameter, as a date field sends it (2026-12-03); None when absent."""
    if value in (None, ""):
        return None
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise InvalidInput(f"{name} must be a date such as 2026-12-03.")


def matter_number(value: str) -> str:
    """An Aderant matter number as typed: 1 to 50 printable characters."""
    if not value or len(value) > MATTER_NUMBER_LENGTH or not value.isprintable():
        raise InvalidInput(
            f"That is not a matter number: a matter number is 1 to {MATTER_NUMBER_LENGTH} characters, "
            "letters, digits and punctuation."
        )
    return value


async def json_body(request: Request, example: str) -> object:
    """The request's JSON. ``example`` shows the expected shape in the message for anything else
    (not JSON, nested past what the parser allows, or holding a NUL character)."""
    body = await request.body()
    refused = InvalidInput(f"The request body must be JSON: {example}.")
    if b"\\u0000" in body.lower():
        raise refused  # the only way JSON spells NUL, which the database cannot store
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise refused from None
