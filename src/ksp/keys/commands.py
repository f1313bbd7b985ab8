"""``ksp keys rotate | check | retire | migrate``: the KEKs and the data keys under them."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine

from ksp.bootstrap import data_key_ring, database_engine, store_adapters
from ksp.db.key_rotation import (
    JOURNAL_NOUN,
    KekReport,
    kek_report,
    legacy_counts,
    migrate_fields,
    rotate,
)
from ksp.keys.kek import KekError
from ksp.settings import Settings

__all__ = [
    "kek_lines",
    "keys_migrate",
    "keys_retire",
    "keys_rotate",
    "legacy_lines",
    "report",
]

T = TypeVar("T")


def _with_engine(settings: Settings, work: Callable[[AsyncEngine], Awaitable[T]]) -> T:
    async def run() -> T:
        engine = database_engine(settings, pool_size=1, max_overflow=0)
        try:
            return await work(engine)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _progress(what: str) -> Callable[[int], None]:
    def say(done: int) -> None:
        print(f"{what} {done}", flush=True)

    return say


def keys_rotate(settings: Settings, args: argparse.Namespace) -> int:
    """A new current KEK and every data key rewrapped under it; resumes a cut-off one."""
    ring = data_key_ring(settings)
    try:
        current, started, count = _with_engine(
            settings,
            lambda engine: rotate(engine, ring, batch=args.batch, progress=_progress("rewrapped")),
        )
    except KekError as exc:
        print(f"ksp: {exc}", file=sys.stderr)
        return 1
    what = "made KEK" if started else "resumed the rotation to KEK"
    print(f"{what} {current} current; {count} data keys rewrapped under it")
    return 0


def report(settings: Settings) -> KekReport:
    ring = data_key_ring(settings)
    return _with_engine(settings, lambda engine: kek_report(engine, ring))


def kek_lines(found: KekReport) -> list[str]:
    lines = []
    for kek_id, count in found.counts.items():
        mark = " (current)" if kek_id == found.current else ""
        mark += " (NOT HELD BY THE KEEPER)" if kek_id in found.unknown else ""
        lines.append(f"KEK {kek_id}{mark}: wraps {count} data keys")
    lines.append(f"destroyed data keys: {found.destroyed}")
    return lines


def keys_retire(settings: Settings, args: argparse.Namespace) -> int:
    """Forget a KEK that wraps no data key any more."""
    found = report(settings)
    if found.counts.get(args.kek, 0):
        print(
            f"ksp: KEK {args.kek} still wraps {found.counts[args.kek]} data keys; "
            "run `ksp keys rotate` first",
            file=sys.stderr,
        )
        return 1
    try:
        data_key_ring(settings).keeper.retire(args.kek)
    except KekError as exc:
        print(f"ksp: {exc}", file=sys.stderr)
        return 1
    print(f"retired KEK {args.kek}")
    return 0


def keys_migrate(settings: Settings, args: argparse.Namespace) -> int:
    """Move every field outside the journal from KSP_DATA_KEYS to data keys (resumable)."""

    async def run(engine: AsyncEngine) -> dict[str, int]:
        adapters = store_adapters(settings, engine)
        return await migrate_fields(
            adapters.sessions,
            adapters.ring,
            adapters.cipher,
            batch=args.batch,
            progress=_progress("rows moved"),
        )

    moved = _with_engine(settings, run)
    for noun, count in moved.items():
        print(f"{count} {noun} moved to their own data keys")
    left = _with_engine(settings, legacy_counts)
    for line in legacy_lines(left):
        print(line)
    return 0


def legacy_lines(found: dict[str, int]) -> list[str]:
    """What is still under KSP_DATA_KEYS, and why (``ksp keys check``, ``migrate``)."""
    outside = {noun: n for noun, n in found.items() if noun != JOURNAL_NOUN and n}
    lines = [f"under KSP_DATA_KEYS: {sum(outside.values())} rows outside the journal"]
    lines += [f"  {n} {noun} (run `ksp keys migrate`)" for noun, n in outside.items()]
    entries = found.get(JOURNAL_NOUN, 0)
    lines.append(
        f"under KSP_DATA_KEYS: {entries} journal entries (sealed before data keys; "
        "their header and the tree commit to the ciphertext, so they stay)"
    )
    return lines
