"""Test data: fresh units per test, valid CPR numbers, valid case bodies."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from typing import Any

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
    tag = uuid.uuid4().hex[:10]
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
