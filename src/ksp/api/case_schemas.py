"""Bodies of the case corrections, the CPR search and the reference units (msgspec).

A correction names only what it changes: a field left out stays as it is; ``null`` clears
a nullable date.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from msgspec import UNSET, UnsetType

from ksp.api.schemas.cases import CaseSummaryOut
from ksp.api.schemas.common import CprText, MunicipalityCode, Name, Slug, Text, Unit, _In, nfc
from ksp.domain.cases import CaseStatus, Custody
from ksp.domain.reference import UnitKind

__all__ = [
    "CaseCorrectionIn",
    "CaseSearchIn",
    "CaseSearchOut",
    "RevisionOut",
    "RevisionPage",
    "UnitOut",
    "UnitsOut",
    "WithdrawIn",
    "WithdrawOut",
]


class SubjectCorrectionIn(_In):
    name: Name | UnsetType = UNSET
    cpr: CprText | UnsetType = UNSET


class CaseCorrectionIn(_In):
    reason: Text
    subject: SubjectCorrectionIn | UnsetType = UNSET
    custody: Custody | UnsetType = UNSET
    radicalisation_concern: bool | UnsetType = UNSET
    security_notified_on: dt.date | UnsetType | None = UNSET
    concern: Text | UnsetType = UNSET
    municipality_code: MunicipalityCode | UnsetType = UNSET
    police_district: Slug | UnsetType = UNSET
    kif_unit: Unit | UnsetType = UNSET  # never correctable: refused by name (422)
    detained_since: dt.date | UnsetType = UNSET
    released_on: dt.date | UnsetType | None = UNSET
    urgent: bool | UnsetType = UNSET

    def changes(self) -> dict[str, Any]:
        """The fields given, by the names the rules use (``subject.name``...)."""
        given: dict[str, Any] = {}
        for name in self.__struct_fields__:
            value = getattr(self, name)
            if name == "reason" or value is UNSET:
                continue
            if isinstance(value, SubjectCorrectionIn):
                if value.name is not UNSET:
                    given["subject.name"] = nfc(value.name)
                if value.cpr is not UNSET:
                    given["subject.cpr"] = value.cpr
                continue
            given[name] = nfc(value) if name == "concern" else value
        return given


class RevisionOut(msgspec.Struct, kw_only=True):
    revision: int
    fields: list[str]
    reason: str
    by: str
    at: dt.datetime


class RevisionPage(msgspec.Struct, kw_only=True):
    items: list[RevisionOut]


class WithdrawIn(_In):
    reason: Text


class WithdrawOut(msgspec.Struct, kw_only=True):
    id: str
    status: CaseStatus
    revision: int


class CaseSearchIn(_In):
    cpr: CprText


class CaseSearchOut(msgspec.Struct, kw_only=True):
    items: list[CaseSummaryOut]


class UnitOut(msgspec.Struct, kw_only=True):
    unit: str
    kind: UnitKind
    name: str


class UnitsOut(msgspec.Struct, kw_only=True):
    valid_from: dt.date
    source: str
    units: list[UnitOut]
