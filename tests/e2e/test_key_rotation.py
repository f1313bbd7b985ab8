"""`ksp keys rotate`, killed halfway (SIGKILL, a real process), resumes and finishes; every
entry still opens; `ksp keys check` then counts 0 data keys under the old KEK. And
`ksp keys migrate` moves cases from KSP_DATA_KEYS onto data keys, resumably (issue 13), after
which `ksp keys check` counts no row under KSP_DATA_KEYS outside the journal (the other
kinds: tests/integration/test_row_data_keys.py)."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, update

from ksp.bootstrap import database_engine, store_adapters, unit_of_work
from ksp.crypto import envelope_key_id
from ksp.db.data_key_store import DataKeyRing, SqlDataKeyStore
from ksp.db.key_rotation import migrate_fields
from ksp.db.tables import cases, data_keys, journal_entries
from ksp.domain.cases import Case, CaseStatus, Custody, Submitter
from ksp.domain.cpr import Cpr
from ksp.keys.file_kek import FileKekKeeper
from ksp.settings import Settings, load_settings

KSP = str(Path(sys.executable).with_name("ksp"))
NOW = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)
ENTRIES = 25
FILLER_KEYS = 8_000
EVERY_ENTRY = [f"entry {i}".encode() for i in range(ENTRIES)]


def ksp(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([KSP, *args], env=env, capture_output=True, text=True, check=False)


async def fill(settings: Settings) -> None:
    """Journal entries to open afterwards, and many more data keys to rewrap."""
    engine = database_engine(settings, pool_size=1, max_overflow=0)
    uow = unit_of_work(settings, engine)
    try:
        for i in range(ENTRIES):
            async with uow() as work:
                await work.journal.lock()
                await work.journal.append(
                    kind="test",
                    ref="r",
                    author="a",
                    created_at=NOW,
                    plaintext=f"entry {i}".encode(),
                )
                await work.commit()
        async with uow() as work:
            for i in range(FILLER_KEYS):
                await work.data_keys.create(f"filler:{i}")
            await work.commit()
    finally:
        await engine.dispose()


async def under(settings: Settings) -> dict[str | None, int]:
    engine = database_engine(settings, pool_size=1, max_overflow=0)
    try:
        async with unit_of_work(settings, engine)() as work:
            return await work.data_keys.count_by_kek()
    finally:
        await engine.dispose()


async def open_every_entry(settings: Settings) -> list[bytes]:
    """With a keeper read afresh from the KEK file, as a restarted service would."""
    engine = database_engine(settings, pool_size=1, max_overflow=0)
    ring = DataKeyRing(FileKekKeeper(settings.kek_path, create=False))
    adapters = store_adapters(settings, engine)
    try:
        async with adapters.sessions() as session:
            keys = SqlDataKeyStore(session, ring, adapters.cipher)
            rows = list(
                await session.execute(select(journal_entries).order_by(journal_entries.c.seq))
            )
            await keys.load(bytes(r.content) for r in rows)
            return [keys.open(bytes(r.content), context=f"journal:{r.seq}") for r in rows]
    finally:
        await engine.dispose()


def test_a_rotation_killed_halfway_resumes_finishes_and_every_entry_still_opens(
    tmp_path: Path,
) -> None:
    env = {"KSP_DATA_DIR": str(tmp_path / "var"), "PATH": os.environ.get("PATH", "")}
    assert ksp(env, "db", "upgrade").returncode == 0
    settings = load_settings(env)
    asyncio.run(fill(settings))
    old = FileKekKeeper(settings.kek_path).current

    rotation = subprocess.Popen(
        [KSP, "keys", "rotate", "--batch", "250"], env=env, stdout=subprocess.PIPE, text=True
    )
    assert rotation.stdout is not None
    for line in rotation.stdout:  # "rewrapped N" after each committed batch
        if line.startswith("rewrapped") and int(line.split()[1]) >= 2_000:
            break
    rotation.send_signal(signal.SIGKILL)
    rotation.wait(timeout=30)
    assert rotation.returncode == -signal.SIGKILL
    new = FileKekKeeper(settings.kek_path).current
    assert new != old
    halfway = asyncio.run(under(settings))
    assert halfway[old] > 0, "killed after the rotation finished: nothing was tested"
    assert halfway[new] >= 2_000

    resumed = ksp(env, "keys", "rotate")
    assert resumed.returncode == 0, resumed.stderr
    assert f"resumed the rotation to KEK {new}" in resumed.stdout
    assert FileKekKeeper(settings.kek_path).current == new  # no third KEK
    assert asyncio.run(under(settings)) == {new: ENTRIES + FILLER_KEYS}

    check = ksp(env, "keys", "check")
    assert check.returncode == 0, check.stderr
    assert f"KEK {old}: wraps 0 data keys" in check.stdout
    assert f"KEK {new} (current): wraps {ENTRIES + FILLER_KEYS} data keys" in check.stdout
    assert asyncio.run(open_every_entry(settings)) == [
        f"entry {i}".encode() for i in range(ENTRIES)
    ]

    retired = ksp(env, "keys", "retire", old)
    assert retired.returncode == 0, retired.stderr
    assert old not in ksp(env, "keys", "check").stdout
    assert asyncio.run(open_every_entry(settings)) == [
        f"entry {i}".encode() for i in range(ENTRIES)
    ]


def test_the_current_kek_or_one_still_in_use_is_not_retired(tmp_path: Path) -> None:
    env = {"KSP_DATA_DIR": str(tmp_path / "var"), "PATH": os.environ.get("PATH", "")}
    assert ksp(env, "db", "upgrade").returncode == 0
    settings = load_settings(env)
    asyncio.run(fill_one(settings))
    current = FileKekKeeper(settings.kek_path).current
    refused = ksp(env, "keys", "retire", current)
    assert refused.returncode == 1
    assert "still wraps 1 data keys" in refused.stderr
    assert FileKekKeeper(settings.kek_path).current == current


async def fill_one(settings: Settings) -> None:
    engine = database_engine(settings, pool_size=1, max_overflow=0)
    try:
        async with unit_of_work(settings, engine)() as work:
            await work.data_keys.create("one")
            await work.commit()
    finally:
        await engine.dispose()


def legacy_case(number: int) -> Case:
    return Case(
        id=f"00000000-0000-4000-8000-{number:012d}",
        submitted_at=NOW,
        submitted_by=Submitter("s", "arrest", "arrest-1"),
        name=f"Navn {number}",
        cpr=Cpr("0101901234"),
        custody=Custody.CONVICTED,
        radicalisation_concern=False,
        security_notified_on=None,
        concern=f"Bekymring {number}",
        municipality_code="101",
        police_district="1",
        kif_unit="kif-1",
        detained_since=NOW.date(),
        released_on=None,
        urgent=False,
        meeting_id=None,
        status=CaseStatus.SUBMITTED,
        triage=None,
    )


async def make_legacy_cases(settings: Settings, count: int) -> list[str]:
    """Cases as a release before issue 13 stored them: fields under KSP_DATA_KEYS."""
    engine = database_engine(settings, pool_size=1, max_overflow=0)
    adapters = store_adapters(settings, engine)
    try:
        async with unit_of_work(settings, engine)() as work:
            for number in range(count):
                case = legacy_case(number)
                await work.cases.add(case)
                legacy = {
                    column: adapters.cipher.encrypt(text, context=f"cases.{name}:{case.id}")
                    for column, name, text in (
                        ("name_ct", "name", case.name),
                        ("cpr_ct", "cpr", case.cpr.digits),
                        ("concern_ct", "concern", case.concern),
                    )
                }
                await work._session.execute(
                    update(cases).where(cases.c.id == case.id).values(legacy)
                )
            await work._session.execute(data_keys.delete().where(data_keys.c.owner.like("case:%")))
            await work.commit()
        return [legacy_case(n).id for n in range(count)]
    finally:
        await engine.dispose()


class Killed(Exception):
    pass


async def migrate(settings: Settings, *, stop_after: int | None) -> int:
    engine = database_engine(settings, pool_size=1, max_overflow=0)
    adapters = store_adapters(settings, engine)

    def progress(done: int) -> None:
        if stop_after is not None and done >= stop_after:
            raise Killed

    try:
        moved = await migrate_fields(
            adapters.sessions, adapters.ring, adapters.cipher, batch=3, progress=progress
        )
        return sum(moved.values())
    finally:
        await engine.dispose()


async def blobs(settings: Settings) -> list[bytes]:
    engine = database_engine(settings, pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as connection:
            query = select(cases.c.name_ct, cases.c.cpr_ct, cases.c.concern_ct)
            return [bytes(b) for row in await connection.execute(query) for b in row]
    finally:
        await engine.dispose()


async def read_cases(settings: Settings, ids: list[str]) -> list[Case]:
    engine = database_engine(settings, pool_size=1, max_overflow=0)
    try:
        async with unit_of_work(settings, engine)() as work:
            found = await work.cases.get_many(ids)
            return [found[i] for i in ids]
    finally:
        await engine.dispose()


def test_migrating_cases_from_ksp_data_keys_to_data_keys_is_resumable(tmp_path: Path) -> None:
    env = {"KSP_DATA_DIR": str(tmp_path / "var"), "PATH": os.environ.get("PATH", "")}
    assert ksp(env, "db", "upgrade").returncode == 0
    settings = load_settings(env)
    ids = asyncio.run(make_legacy_cases(settings, 10))
    assert all(envelope_key_id(b) is None for b in asyncio.run(blobs(settings)))
    listed = ksp(env, "keys", "check")
    assert "under KSP_DATA_KEYS: 10 rows outside the journal" in listed.stdout, listed.stdout
    assert "  10 cases (run `ksp keys migrate`)" in listed.stdout
    with pytest.raises(Killed):
        asyncio.run(migrate(settings, stop_after=3))
    halfway = [envelope_key_id(b) for b in asyncio.run(blobs(settings))]
    assert None in halfway
    assert any(halfway)
    done = ksp(env, "keys", "migrate")
    assert done.returncode == 0, done.stderr
    assert "7 cases moved" in done.stdout
    assert all(envelope_key_id(b) is not None for b in asyncio.run(blobs(settings)))
    assert [c.name for c in asyncio.run(read_cases(settings, ids))] == [
        f"Navn {n}" for n in range(10)
    ]
    again = ksp(env, "keys", "migrate")
    assert "0 cases moved" in again.stdout
    checked = ksp(env, "keys", "check")
    assert "under KSP_DATA_KEYS: 0 rows outside the journal" in checked.stdout, checked.stdout
    assert "(run `ksp keys migrate`)" not in checked.stdout
