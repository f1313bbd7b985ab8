"""The KEK in a PKCS#11 token (issue 13): SoftHSM2, set up by the suite (support.softhsm).

Wrapping happens inside the token; a wrong PIN, a missing token and a KEK that may not
wrap stop start-up with a clear line, and nothing already stored is lost."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from conftest import migrated_database
from ksp.bootstrap import data_key_ring, unit_of_work
from ksp.db.key_rotation import kek_report, rotate
from ksp.db.tables import data_keys
from ksp.keys.kek import KekError, UnwrapFailed
from ksp.keys.pkcs11_kek import Pkcs11KekKeeper
from ksp.settings import Pkcs11Settings, Settings
from support.entries import append_entry
from support.softhsm import SoftHsm

pytestmark = pytest.mark.pkcs11

KSP = str(Path(sys.executable).with_name("ksp"))
NOW = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)


def token_settings(settings: Settings, hsm: SoftHsm, token: str) -> Settings:
    return dataclasses.replace(
        settings, pkcs11=Pkcs11Settings(hsm.module, token, "kek", hsm.pin_file)
    )


async def test_data_keys_are_wrapped_inside_the_token_and_open_again(
    backend: str,
    tmp_path_factory: pytest.TempPathFactory,
    settings: Settings,
    softhsm: SoftHsm,
) -> None:
    hsm_settings = token_settings(settings, softhsm, "ksp")
    async with migrated_database(backend, tmp_path_factory, "ksp_hsm") as (engine, _):
        seq = await append_entry(hsm_settings, engine, b"under the token")
        async with unit_of_work(hsm_settings, engine)() as uow:
            assert await uow.journal.plaintext(seq) == b"under the token"
        async with engine.connect() as connection:
            query = select(data_keys).where(data_keys.c.owner == f"journal:{seq}")
            row = (await connection.execute(query)).one()
    assert row.kek_id == "pkcs11:ksp/kek"
    assert len(bytes(row.wrapped)) == 56  # RFC 5649 of key and binding: 48 bytes + 8
    keeper = data_key_ring(hsm_settings).keeper
    with pytest.raises(UnwrapFailed):  # bound to its id and owner
        keeper.unwrap(row.kek_id, bytes(row.wrapped), b"another owner")


def test_the_kek_never_leaves_the_token(settings: Settings, softhsm: SoftHsm) -> None:
    import pkcs11  # noqa: PLC0415
    from pkcs11 import Attribute, KeyType, ObjectClass  # noqa: PLC0415

    data_key_ring(token_settings(settings, softhsm, "ksp"))  # logged in, as the service is
    library = pkcs11.lib(softhsm.module)
    with library.get_token(token_label="ksp").open() as session:
        kek = session.get_key(ObjectClass.SECRET_KEY, KeyType.AES, label="kek")
        assert kek[Attribute.SENSITIVE]
        assert not kek[Attribute.EXTRACTABLE]
        with pytest.raises(pkcs11.exceptions.PKCS11Error):
            kek[Attribute.VALUE]


async def test_rotation_in_the_token_rewraps_every_data_key_and_the_old_kek_wraps_none(
    backend: str,
    tmp_path_factory: pytest.TempPathFactory,
    settings: Settings,
    softhsm: SoftHsm,
) -> None:
    hsm_settings = token_settings(settings, softhsm, f"ksp-rotate-{backend}")
    async with migrated_database(backend, tmp_path_factory, "ksp_hsm") as (engine, _):
        seqs = [await append_entry(hsm_settings, engine, f"rotate {i}".encode()) for i in range(12)]
        ring = data_key_ring(hsm_settings)
        old = ring.keeper.current
        current, started, count = await rotate(engine, ring, batch=5)
        assert (current, started, count) == (f"pkcs11:ksp-rotate-{backend}/kek#2", True, 12)
        report = await kek_report(engine, ring)
        assert report.counts == {old: 0, current: 12}
        async with unit_of_work(hsm_settings, engine)() as uow:
            for i, seq in enumerate(seqs):
                assert await uow.journal.plaintext(seq) == f"rotate {i}".encode()


def keys_check(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {"KSP_DATA_DIR": str(tmp_path), "PATH": os.environ.get("PATH", "")}
    return subprocess.run(
        [KSP, "keys", "check"], env=base | env, capture_output=True, text=True, check=False
    )


def test_a_wrong_pin_a_missing_token_and_a_kek_that_may_not_wrap_stop_start_up_clearly(
    tmp_path: Path, softhsm: SoftHsm
) -> None:
    assert (
        subprocess.run(
            [KSP, "db", "upgrade"],
            env={"KSP_DATA_DIR": str(tmp_path)} | softhsm.env(),
            capture_output=True,
            check=False,
        ).returncode
        == 0
    )
    for env, names in (
        (softhsm.env(pin_file=softhsm.wrong_pin_file), "KSP_PKCS11_PIN_FILE: the token refused"),
        (softhsm.env("no-such-token"), "KSP_PKCS11_TOKEN: no token labelled 'no-such-token'"),
        (softhsm.env("ksp-nowrap"), "CKA_WRAP and CKA_UNWRAP must be true"),
    ):
        done = keys_check(tmp_path, env)
        assert done.returncode == 2, done.stderr
        assert done.stderr.startswith("ksp: configuration error: ")
        assert names in done.stderr
        assert "Traceback" not in done.stderr
        assert "472913" not in done.stderr + done.stdout  # no PIN in what it says
    good = keys_check(tmp_path, softhsm.env())  # nothing lost: the right token still works
    assert good.returncode == 0, good.stderr
    assert "KEK pkcs11:ksp/kek (current)" in good.stdout


def test_a_missing_module_is_a_clear_error(tmp_path: Path, softhsm: SoftHsm) -> None:
    with pytest.raises(KekError, match="KSP_PKCS11_MODULE"):
        Pkcs11KekKeeper(str(tmp_path / "nope.so"), "ksp", "kek", softhsm.pin_file)
