"""Reference data (CONTRACT.md "Reference values"): 98 municipalities, 12 police districts."""

from __future__ import annotations

import json
from importlib import resources

from ksp.domain import reference

CONTRACT_DISTRICTS = [
    "nordjylland",
    "oestjylland",
    "midt-og-vestjylland",
    "sydoestjylland",
    "syd-og-soenderjylland",
    "fyn",
    "sydsjaelland-og-lolland-falster",
    "midt-og-vestsjaelland",
    "nordsjaelland",
    "koebenhavns-vestegn",
    "koebenhavn",
    "bornholm",
]


def test_there_are_98_municipalities_and_christiansoe_is_not_one() -> None:
    """DOMAIN.md: 98 municipalities, each with an official 3-digit code; 411 is not one."""
    municipalities = reference.municipalities()
    assert len(municipalities) == 98
    assert all(100 <= code <= 999 for code in municipalities)
    assert reference.municipality(411) is None
    named = {code: m.name for code, m in municipalities.items()}
    assert {
        101: "København",
        147: "Frederiksberg",
        461: "Odense",
        751: "Aarhus",
        851: "Aalborg",
    }.items() <= named.items()


def test_there_are_12_police_districts_with_the_contract_slugs() -> None:
    """CONTRACT.md: the 12 districts as slugs."""
    assert list(reference.police_districts()) == CONTRACT_DISTRICTS


def test_every_municipality_lies_in_exactly_one_police_district() -> None:
    """The districts partition the municipalities."""
    codes = [c for d in reference.police_districts().values() for c in d.municipality_codes]
    assert sorted(codes) == sorted(reference.municipalities())


def test_the_data_files_are_dated_and_sourced() -> None:
    """Reference data ships as dated files, so a change of the map is a new, visible file."""
    for name in ("municipalities.json", "police_districts.json"):
        data = json.loads(
            resources.files("ksp.domain").joinpath("data", name).read_text(encoding="utf-8")
        )
        assert data["valid_from"] == "2007-01-01"
        assert data["source"]
