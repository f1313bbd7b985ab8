"""A SoftHSM2 token set up by the suite (marker ``pkcs11``), in a temporary directory.

``softhsm`` makes, once per run, a SOFTHSM2_CONF of its own, three tokens with
``softhsm2-util --init-token`` and their AES keys through python-pkcs11:

- ``ksp``: the KEK ``kek`` (CKA_WRAP and CKA_UNWRAP true, never extractable);
- ``ksp-nowrap``: a key ``kek`` whose CKA_WRAP is false;
- ``ksp-rotate-<backend>``: a KEK ``kek`` of its own, for rotation on each backend.

Without softhsm2 the tests skip with a line saying how to get it; with
``KSP_REQUIRE_PKCS11=1`` (set by .ci/run) they fail instead, and the run fails unless a
``pkcs11`` test passed. SoftHSM reads SOFTHSM2_CONF when the library is first loaded, and
python-pkcs11 loads it once per process, so every token is made before that.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
PIN = "472913"
REQUIRE_PKCS11 = os.environ.get("KSP_REQUIRE_PKCS11") == "1"
HOW_TO_GET_IT = "SoftHSM2 is not installed: `apt-get install softhsm2` (Debian) to run these"
TOKENS = ("ksp", "ksp-nowrap", "ksp-rotate-sqlite", "ksp-rotate-postgres")
_passed = {"pkcs11": 0}


@dataclass(frozen=True)
class SoftHsm:
    module: str
    pin_file: Path
    wrong_pin_file: Path

    def env(self, label: str = "ksp", *, pin_file: Path | None = None) -> dict[str, str]:
        return {
            "KSP_PKCS11_MODULE": self.module,
            "KSP_PKCS11_TOKEN": label,
            "KSP_PKCS11_KEY_LABEL": "kek",
            "KSP_PKCS11_PIN_FILE": str(pin_file or self.pin_file),
            "SOFTHSM2_CONF": os.environ["SOFTHSM2_CONF"],
        }


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" and report.passed and "pkcs11" in report.keywords:
        _passed["pkcs11"] += 1


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if REQUIRE_PKCS11 and exitstatus == 0 and _passed["pkcs11"] == 0:
        print("\nKSP_REQUIRE_PKCS11=1 but no test against SoftHSM2 passed")  # noqa: T201
        session.exitstatus = 1


@pytest.fixture(scope="session")
def softhsm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SoftHsm]:
    util = shutil.which("softhsm2-util")
    if util is None or not Path(MODULE).exists():
        if REQUIRE_PKCS11:
            pytest.fail(f"KSP_REQUIRE_PKCS11=1 but {HOW_TO_GET_IT}")
        pytest.skip(HOW_TO_GET_IT)
    home = tmp_path_factory.mktemp("softhsm")
    (home / "tokens").mkdir()
    conf = home / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {home / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n"
    )
    previous = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    for label in TOKENS:
        subprocess.run(
            [util, "--init-token", "--free", "--label", label, "--pin", PIN, "--so-pin", "0" + PIN],
            check=True,
            capture_output=True,
        )
    _make_keys()
    pin_file, wrong = home / "pin", home / "wrong-pin"
    pin_file.write_text(PIN + "\n")
    wrong.write_text("000000\n")
    yield SoftHsm(MODULE, pin_file, wrong)
    if previous is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = previous


def _make_keys() -> None:
    import pkcs11  # noqa: PLC0415 - loaded only once SOFTHSM2_CONF is set
    from pkcs11 import Attribute, KeyType  # noqa: PLC0415

    library = pkcs11.lib(MODULE)
    for label in TOKENS:
        with library.get_token(token_label=label).open(user_pin=PIN, rw=True) as session:
            session.generate_key(
                KeyType.AES,
                256,
                label="kek",
                store=True,
                template={
                    Attribute.WRAP: label != "ksp-nowrap",
                    Attribute.UNWRAP: True,
                    Attribute.EXTRACTABLE: False,
                    Attribute.SENSITIVE: True,
                },
            )
