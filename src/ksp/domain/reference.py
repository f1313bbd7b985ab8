"""Reference data: the 98 municipalities, the 12 police districts, and the units.

Shipped as dated JSON files in ``ksp/domain/data`` (each carries ``valid_from`` and its
source), loaded once. Christiansø (411) is administered by the state and is not a
municipality.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

__all__ = [
    "InvalidUnitTable",
    "Municipality",
    "PoliceDistrict",
    "Unit",
    "UnitKind",
    "UnitTable",
    "municipalities",
    "municipality",
    "parse_unit_table",
    "police_district",
    "police_districts",
    "shipped_unit_table",
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


class UnitKind(StrEnum):
    ARREST = "arrest"
    KIF = "kif"
    MUNICIPALITY = "municipality"
    POLICE = "police"
    AUDIT = "audit"


@dataclass(frozen=True, slots=True)
class Unit:
    unit: str
    kind: UnitKind
    name: str


@dataclass(frozen=True, slots=True)
class UnitTable:
    """The units the service knows, dated and with its source named."""

    valid_from: dt.date
    source: str
    units: tuple[Unit, ...]

    def kif_units(self) -> frozenset[str]:
        return frozenset(u.unit for u in self.units if u.kind is UnitKind.KIF)


class InvalidUnitTable(ValueError):
    """A units table that cannot be used; the message says where it is wrong."""


_UNIT_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_DERIVED = (UnitKind.MUNICIPALITY, UnitKind.POLICE)


def _derived_units() -> list[Unit]:
    """Municipalities as ``kommune-<code>``, police districts as ``politi-<slug>``."""
    return [
        *(
            Unit(f"kommune-{m.code}", UnitKind.MUNICIPALITY, m.name)
            for m in municipalities().values()
        ),
        *(Unit(f"politi-{d.slug}", UnitKind.POLICE, d.name) for d in police_districts().values()),
    ]


def _unit(row: Any, index: int) -> Unit:
    where = f"units[{index}]"
    if not isinstance(row, dict) or set(row) != {"unit", "kind", "name"}:
        raise InvalidUnitTable(f"{where} must be an object of unit, kind and name")
    slug, kind, name = row["unit"], row["kind"], row["name"]
    if not isinstance(slug, str) or len(slug) > 100 or not _UNIT_SLUG.fullmatch(slug):
        raise InvalidUnitTable(f"{where}.unit must be a lower-case slug of at most 100 characters")
    if kind not in {k.value for k in UnitKind} or kind in _DERIVED:
        raise InvalidUnitTable(f"{where}.kind must be arrest, kif or audit")
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise InvalidUnitTable(f"{where}.name must be 1 to 200 characters")
    return Unit(slug, UnitKind(kind), name)


def parse_unit_table(text: str) -> UnitTable:
    """A units file: ``valid_from``, ``source`` and the arrest, KiF and audit ``units``; the
    municipalities and police districts are added from their own tables."""
    try:
        data = json.loads(text)
    except ValueError:
        raise InvalidUnitTable("is not JSON") from None
    if not isinstance(data, dict) or set(data) != {"valid_from", "source", "units"}:
        raise InvalidUnitTable("must be an object of valid_from, source and units")
    try:
        valid_from = dt.date.fromisoformat(data["valid_from"])
    except (TypeError, ValueError):
        raise InvalidUnitTable("valid_from must be a date such as 2026-11-01") from None
    if not isinstance(data["source"], str) or not data["source"].strip():
        raise InvalidUnitTable("source must name where the table comes from")
    if not isinstance(data["units"], list):
        raise InvalidUnitTable("units must be a list")
    units = [*(_unit(row, i) for i, row in enumerate(data["units"])), *_derived_units()]
    seen: set[str] = set()
    for unit in units:
        if unit.unit in seen:
            raise InvalidUnitTable(f"the unit {unit.unit} appears twice")
        seen.add(unit.unit)
    return UnitTable(valid_from, data["source"], tuple(units))


@cache
def shipped_unit_table() -> UnitTable:
    """The table shipped with the service (``data/units.json``)."""
    text = resources.files("ksp.domain").joinpath("data", "units.json").read_text("utf-8")
    return parse_unit_table(text)
