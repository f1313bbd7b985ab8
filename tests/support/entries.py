"""Journal entries appended straight through a unit of work, for the data-key tests."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncEngine

from ksp.bootstrap import unit_of_work
from ksp.settings import Settings

NOW = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)


async def append_entry(settings: Settings, engine: AsyncEngine, plaintext: bytes) -> int:
    """One entry of kind ``test``, committed; its seq."""
    async with unit_of_work(settings, engine)() as uow:
        await uow.journal.lock()
        appended = await uow.journal.append(
            kind="test", ref="data-keys", author="test", created_at=NOW, plaintext=plaintext
        )
        await uow.commit()
    return appended.seq
