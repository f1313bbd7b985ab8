"""Rotating data keys (``ksp keys rotate``'s work), in process, on SQLite.

Setup: a fresh migrated SQLite database holding ``keys`` data keys, wrapped under the KEK
(inserted in bulk: the setup is not measured). Measured: :func:`ksp.db.key_rotation.rotate`
from start to end: a new KEK, and every data key read, rewrapped under it and written back
in batches of 2,000, one transaction each (as the command does; no content is decrypted).

Keepers: the KEK file (target: 100,000 keys in at most 60 s), and a SoftHSM2 token made in a
temporary directory when softhsm2 is installed (``hsm_keys``, fewer by default: each rewrap
is two calls into the token; the rate and the time it gives for 100,000 are reported).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import insert

from ksp.db.data_key_store import DataKeyRing, wrap_aad
from ksp.db.engine import create_engine
from ksp.db.key_rotation import kek_report, rotate
from ksp.db.migrate import upgrade
from ksp.db.tables import data_keys
from ksp.db.url import async_database_url
from ksp.keys.file_kek import FileKekKeeper
from ksp.keys.kek import KekKeeper

SOFTHSM = "/usr/lib/softhsm/libsofthsm2.so"
_CHUNK = 5_000


async def _fill(engine: Any, keeper: KekKeeper, count: int) -> None:
    for start in range(0, count, _CHUNK):
        rows = []
        for number in range(start, min(count, start + _CHUNK)):
            key_id, owner = secrets.token_hex(16), f"bench:{number}"
            wrapped = keeper.wrap(AESGCM.generate_key(bit_length=256), wrap_aad(key_id, owner))
            rows.append(
                {"key_id": key_id, "owner": owner, "kek_id": keeper.current, "wrapped": wrapped}
            )
        async with engine.begin() as connection:
            await connection.execute(insert(data_keys), rows)


async def _rotate(keeper: KekKeeper, count: int, work: Path) -> dict[str, Any]:
    engine = create_engine(async_database_url(f"sqlite:///{work / 'keys.sqlite3'}"))
    try:
        await upgrade(engine)
        started = time.perf_counter()
        await _fill(engine, keeper, count)
        setup = time.perf_counter() - started
        ring = DataKeyRing(keeper)
        old = keeper.current
        started = time.perf_counter()
        _, _, rewrapped = await rotate(engine, ring)
        seconds = time.perf_counter() - started
        report = await kek_report(engine, ring)
    finally:
        await engine.dispose()
    return {
        "keys": count,
        "rewrapped": rewrapped,
        "rotate_s": round(seconds, 2),
        "keys_per_s": round(rewrapped / seconds),
        "seconds_for_100000": round(100_000 * seconds / rewrapped, 1),
        "old_kek_wraps_after": report.counts.get(old),
        "setup_s": round(setup, 1),
    }


def _softhsm_keeper(home: Path) -> KekKeeper | str:
    util = shutil.which("softhsm2-util")
    if util is None or not Path(SOFTHSM).exists():
        return "softhsm2 is not installed (apt-get install softhsm2)"
    (home / "tokens").mkdir()
    conf = home / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {home / 'tokens'}\nobjectstore.backend = file\n")
    os.environ["SOFTHSM2_CONF"] = str(conf)  # before the library is first loaded
    pin = "246810"
    subprocess.run(
        [util, "--init-token", "--free", "--label", "bench", "--pin", pin, "--so-pin", pin],
        check=True,
        capture_output=True,
    )
    import pkcs11  # noqa: PLC0415 - loaded once SOFTHSM2_CONF is set
    from pkcs11 import Attribute, KeyType  # noqa: PLC0415

    from ksp.keys.pkcs11_kek import Pkcs11KekKeeper  # noqa: PLC0415

    token = pkcs11.lib(SOFTHSM).get_token(token_label="bench")  # noqa: S106 - a label
    with token.open(user_pin=pin, rw=True) as s:
        s.generate_key(
            KeyType.AES,
            256,
            label="kek",
            store=True,
            template={Attribute.WRAP: True, Attribute.UNWRAP: True, Attribute.EXTRACTABLE: False},
        )
    (home / "pin").write_text(pin)
    return Pkcs11KekKeeper(SOFTHSM, "bench", "kek", home / "pin")


def bench_key_rotation(keys: int, hsm_keys: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="ksp-bench-rotation-") as tmp:
        work = Path(tmp)
        (work / "file").mkdir()
        result: dict[str, Any] = {
            "file_kek": asyncio.run(
                _rotate(FileKekKeeper(work / "file" / "kek.json"), keys, work / "file")
            )
        }
        (work / "hsm").mkdir()
        keeper = _softhsm_keeper(work / "hsm")
        if isinstance(keeper, str):
            result["softhsm"] = {"skipped": keeper}
        else:
            result["softhsm"] = asyncio.run(_rotate(keeper, hsm_keys, work / "hsm"))
    return result
