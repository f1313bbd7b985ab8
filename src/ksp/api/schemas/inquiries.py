"""Bodies of the inquiry routes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

from ksp.api.schemas.common import (
    CprText,
    Unit,
    _In,
)
from ksp.domain.circulation import Agency

__all__ = ["DecisionIn", "DecisionOut", "InquiryIn", "InquiryOut"]


class InquiryIn(_In):
    cpr: CprText
    from_agency: Agency
    received_on: dt.date
    detained_since: dt.date | None = None
    released_on: dt.date | None = None
    kif_unit: Unit | None = None


class DecisionIn(_In):
    eligible: bool
    justification: Annotated[str, msgspec.Meta(max_length=4000)] | None = None


class DecisionOut(msgspec.Struct, kw_only=True):
    number: int
    eligible: bool
    justification: str | None
    decided_at: dt.datetime
    decided_by: str
    corrects: int | None


class InquiryOut(msgspec.Struct, kw_only=True):
    id: str
    kif_unit: str
    cpr: str
    from_agency: Agency
    received_on: dt.date
    detained_since: dt.date | None
    released_on: dt.date | None
    suggestion: Literal["inside", "outside"] | None
    window_days: int | None
    policy: str
    created_at: dt.datetime
    decisions: list[DecisionOut]
