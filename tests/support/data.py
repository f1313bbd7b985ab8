"""Test data: fresh units per test, valid CPR numbers, valid case bodies.

A case is refused unless its ``kif_unit`` is a KiF unit of the reference table, so the
tests run with ``KSP_UNITS_FILE`` (or ``Settings.units``) set to :func:`test_unit_table`:
the shipped table plus a pool of KiF units made for this run, from which each test draws
its own fresh ones (the isolation stays: no two tests share a unit).
"""

from __future__ import annotations

import atexit
import itertools
import json
import random
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from ksp.domain.reference import UnitTable, parse_unit_table

POOL_SIZE = 6_000  # fresh unit sets per test process: more than the tests draw
_POOL = [uuid.uuid4().hex[:10] for _ in range(POOL_SIZE)]
_DRAWN = itertools.count()
# The fixed KiF units of tests that run their own servers (e2e) or need none.
FIXED_KIF_UNITS = ("kif-loop", "kif-e2e", "kif-fuzz", "kif-x")

# Every name, CPR number and concern the tests submit, so that a raw scan of the database
# file at the end of the run can look for each of them (see conftest.py).
SUBMITTED_PERSONAL_DATA: set[str] = {
    "010190-1234",
    "0101901234",
    "0101901235",
    "Test Person",
    "Hemmelig Testperson",
    "Logget Person",
    "Søren Ærø Aïcha",
}


@dataclass(frozen=True)
class Units:
    arrest: str
    other_arrest: str
    kif: str
    other_kif: str
    participant: str
    auditor: str


def fresh_units() -> Units:
    """Units no other test uses; the KiF ones are in :func:`test_unit_table`."""
    drawn = next(_DRAWN)
    if drawn >= POOL_SIZE:
        raise RuntimeError("support.data.POOL_SIZE is too small for this many tests")
    tag = _POOL[drawn]
    return Units(
        arrest=f"arrest-{tag}",
        other_arrest=f"arrest-other-{tag}",
        kif=f"kif-{tag}",
        other_kif=f"kif-other-{tag}",
        participant=f"kommune-{tag}",
        auditor=f"revision-{tag}",
    )


def random_cpr(rng: random.Random | None = None) -> str:
    """A CPR number with a real birth date in 1900-1999 (7th digit 0-3), formatted DDMMYY-SSSS."""
    rng = rng or random.Random()
    day, month, year = rng.randint(1, 28), rng.randint(1, 12), rng.randint(0, 99)
    return f"{day:02d}{month:02d}{year:02d}-{rng.randint(0, 3)}{rng.randint(0, 999):03d}"


def random_name() -> str:
    first = random.choice(["Jens", "Søren", "Aïcha", "Mikkel", "Ølsted", "Åse"])
    return f"{first} Testperson-{uuid.uuid4().hex[:8]}"


def case_body(kif_unit: str, **overrides: Any) -> dict[str, Any]:
    """A valid remand case with a radicalisation concern, routed to ``kif_unit``."""
    body: dict[str, Any] = {
        "subject": {"name": random_name(), "cpr": random_cpr()},
        "custody": "remand",
        "radicalisation_concern": True,
        "security_notified_on": "2026-11-20",
        "concern": f"Bekymring for radikalisering {uuid.uuid4().hex[:6]}",
        "municipality_code": 101,
        "police_district": "koebenhavn",
        "kif_unit": kif_unit,
        "detained_since": "2026-10-01",
        "released_on": None,
        "urgent": False,
    }
    body.update(overrides)
    subject = body.get("subject")
    if isinstance(subject, dict):
        SUBMITTED_PERSONAL_DATA.update(str(v) for v in subject.values())
        SUBMITTED_PERSONAL_DATA.add(str(subject.get("cpr", "")).replace("-", ""))
    if isinstance(body.get("concern"), str) and len(body["concern"]) > 8:
        SUBMITTED_PERSONAL_DATA.add(body["concern"])
    return body


def _test_units_json() -> str:
    shipped = json.loads(
        resources.files("ksp.domain").joinpath("data", "units.json").read_text("utf-8")
    )
    made = [
        {"unit": unit, "kind": "kif", "name": f"Test-KiF {unit}"}
        for unit in (
            *FIXED_KIF_UNITS,
            *(f"kif-{tag}" for tag in _POOL),
            *(f"kif-other-{tag}" for tag in _POOL),
        )
    ]
    shipped["source"] = "tests: the shipped table and the KiF units of this test run"
    shipped["units"] = [*shipped["units"], *made]
    return json.dumps(shipped, ensure_ascii=False)


@cache
def test_unit_table() -> UnitTable:
    """The shipped units and every KiF unit the tests of this process may draw."""
    return parse_unit_table(_test_units_json())


@cache
def test_units_file() -> Path:
    """:func:`test_unit_table` as a file, for the servers the tests start
    (``KSP_UNITS_FILE``); removed when the test process ends."""
    folder = Path(tempfile.mkdtemp(prefix="ksp-test-units-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / "units.json"
    path.write_text(_test_units_json(), encoding="utf-8")
    return path
