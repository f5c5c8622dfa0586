"""The organisation's time zone: pages show times in it, History's date filters mean its days."""

from __future__ import annotations

import functools
import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

from plugin.errors import InvalidInput
from plugin.services import Services

DEFAULT_ZONE = "UTC"


@functools.cache
def zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def zone_named(name: str) -> zoneinfo.ZoneInfo:
    """The IANA zone called `name` (e.g. Europe/London), else InvalidInput in plain words."""
    name = name.strip()
    if name not in zone_names():
        raise InvalidInput(
            f"{name or 'An empty name'} is not a time zone: enter an IANA time zone name such as "
            "Europe/London, Australia/Sydney or UTC."
        )
    return zoneinfo.ZoneInfo(name)


async def organisation_zone(services: Services, organisation_id: int) -> zoneinfo.ZoneInfo:
    name = await services.db(services.store.time_zone, organisation_id)
    return zoneinfo.ZoneInfo(name if name in zone_names() else DEFAULT_ZONE)


async def set_organisation_zone(services: Services, organisation_id: int, actor: str, name: str) -> bool:
    """Save the organisation's time zone (audited as organisation.changed); False when unchanged."""
    zone = zone_named(name)
    return await services.db(services.store.set_time_zone, organisation_id, zone.key, actor=actor)


def in_zone(moment: datetime, zone: zoneinfo.ZoneInfo) -> datetime:
    """`moment` in `zone`; a stored time without an offset is UTC (SQLite keeps none)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone)


def shown(moment: datetime | None, zone: zoneinfo.ZoneInfo, *, seconds: bool = True) -> str:
    """e.g. "2026-12-03 21:15:02 AEDT": the time in the zone, with the zone's abbreviation."""
    if moment is None:
        return ""
    return in_zone(moment, zone).strftime("%Y-%m-%d %H:%M:%S %Z" if seconds else "%Y-%m-%d %H:%M %Z")


def day_start(day: date, zone: zoneinfo.ZoneInfo) -> datetime:
    """When `day` begins in `zone`, in UTC."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def days_between(first: date | None, last: date | None, zone: zoneinfo.ZoneInfo) -> tuple[datetime | None, datetime | None]:
    """The UTC bounds [start of `first`, start of the day after `last`) of days in `zone`."""
    return (
        day_start(first, zone) if first else None,
        day_start(last + timedelta(days=1), zone) if last else None,
    )
