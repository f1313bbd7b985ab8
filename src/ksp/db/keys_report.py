"""Recipient keys that expire soon (``ksp keys check``)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from ksp.db.tables import recipients

__all__ = ["expiring_keys"]


async def expiring_keys(
    engine: AsyncEngine, before: dt.datetime
) -> list[tuple[str, str, str, dt.datetime | None]]:
    """(e-mail, unit, fingerprint, expiry) of every key that expires before ``before``,
    retired recipients left out (they are never circulated to again)."""
    query = (
        select(
            recipients.c.email, recipients.c.unit, recipients.c.fingerprint, recipients.c.expires_at
        )
        .where(recipients.c.expires_at.is_not(None), recipients.c.expires_at < before)
        .where(recipients.c.retired_at.is_(None))
        .order_by(recipients.c.expires_at)
    )
    async with engine.connect() as connection:
        return [
            (r.email, r.unit, r.fingerprint, r.expires_at) for r in await connection.execute(query)
        ]
