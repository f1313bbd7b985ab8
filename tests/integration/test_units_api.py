"""GET /reference/units (CONTRACT.md, issue 7), and a kif_unit that is not in the table."""

from __future__ import annotations

import httpx
import pytest

from support.data import Units, case_body
from support.flows import Auth

PROBLEMS = "https://ksp.kriminalforsorgen.dk/problems/"
EXAMPLES = {
    "kif-hovedstaden": "kif",
    "kif-syddanmark": "kif",
    "arrest-koebenhavn": "arrest",
    "arrest-odense": "arrest",
    "intern-revision": "audit",
    "kommune-101": "municipality",
    "politi-koebenhavn": "police",
}


@pytest.mark.parametrize("role", ["arrest", "kif", "participant", "auditor"])
async def test_every_role_reads_the_dated_units_table(
    client: httpx.AsyncClient, auth: Auth, units: Units, role: str
) -> None:
    """Any role: the units with their kind and name, dated and with their source."""
    answer = await client.get("/api/v1/reference/units", headers=auth(role, units.arrest))
    assert answer.status_code == 200
    table = answer.json()
    kinds = {u["unit"]: u["kind"] for u in table["units"]}
    assert {unit: kinds.get(unit) for unit in EXAMPLES} == EXAMPLES
    assert set(kinds.values()) == {"arrest", "kif", "municipality", "police", "audit"}
    assert sum(kind == "municipality" for kind in kinds.values()) == 98
    assert sum(kind == "police" for kind in kinds.values()) == 12
    assert table["valid_from"] == "2026-11-01"
    assert table["source"].startswith("tests:")  # the test run's KSP_UNITS_FILE


async def test_a_kif_unit_not_in_the_table_is_refused_naming_the_field(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """A mistyped kif_unit would be lost (no unit ever sees it): 422 naming kif_unit."""
    for wrong in ("kif-hovedstadn", "kommune-101"):
        refused = await client.post(
            "/api/v1/cases", json=case_body(wrong), headers=auth("arrest", units.arrest)
        )
        assert refused.status_code == 422
        assert refused.json()["type"] == PROBLEMS + "validation"
        assert [e["field"] for e in refused.json()["errors"]] == ["kif_unit"]
