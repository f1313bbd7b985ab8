"""Reference data: the 98 municipalities and the 12 police districts.

Shipped as dated JSON files in ``ksp/domain/data`` (each carries ``valid_from`` and its
source), loaded once. Christiansø (411) is administered by the state and is not a
municipality.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

__all__ = [
    "Municipality",
    "PoliceDistrict",
    "municipalities",
    "municipality",
    "police_district",
    "police_districts",
]


@dataclass(frozen=True, slots=True)
class Municipality:
    code: int
    name: str


@dataclass(frozen=True, slots=True)
class PoliceDistrict:
    slug: str
    name: str
    municipality_codes: frozenset[int]


def _load(name: str) -> dict[str, Any]:
    text = resources.files("ksp.domain").joinpath("data", name).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@cache
def municipalities() -> dict[int, Municipality]:
    """Every municipality by its official code."""
    rows = _load("municipalities.json")["municipalities"]
    return {row["code"]: Municipality(row["code"], row["name"]) for row in rows}


@cache
def police_districts() -> dict[str, PoliceDistrict]:
    """Every police district by its slug."""
    rows = _load("police_districts.json")["police_districts"]
    return {
        row["slug"]: PoliceDistrict(row["slug"], row["name"], frozenset(row["municipality_codes"]))
        for row in rows
    }


def municipality(code: int) -> Municipality | None:
    return municipalities().get(code)


def police_district(slug: str) -> PoliceDistrict | None:
    return police_districts().get(slug)
