"""Named, expiring claims that let one replica at a time do a job (audit delivery, schedules).

A replica that dies holding a lease blocks nobody for longer than the lease's time to live.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, insert, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from store.models import Lease, utcnow


class Leases:
    """Named, expiring claims: at most one holder per name until it releases or the lease expires.

    A holder renews its lease by acquiring it again.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def try_acquire(self, name: str, holder: str, ttl: timedelta, *, now: datetime | None = None) -> bool:
        now = now or utcnow()
        values = {"holder": holder, "expires_at": now + ttl}
        try:
            with self.engine.begin() as connection:
                taken = connection.execute(
                    update(Lease)
                    .where(col(Lease.name) == name, or_(col(Lease.expires_at) < now, col(Lease.holder) == holder))
                    .values(**values)
                )
                if taken.rowcount != 1:
                    # No row yet, or a live row of another holder: then the unique name refuses us.
                    connection.execute(insert(Lease).values(name=name, **values))
            return True
        except IntegrityError:
            return False

    def release(self, name: str, holder: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(Lease).where(col(Lease.name) == name, col(Lease.holder) == holder))
