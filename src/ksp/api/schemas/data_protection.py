"""Bodies of the data-protection routes: a person's erasure, and a subject-access extract."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec

from ksp.api.schemas.common import CprText, _In

__all__ = [
    "ErasureCarriedOut",
    "ErasureRequestIn",
    "ErasureRequestOut",
    "SubjectAccessIn",
]


class ErasureRequestIn(_In):
    cpr: CprText
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=2_000)]


class ErasureRequestOut(msgspec.Struct, kw_only=True):
    id: str
    status: str  # "awaiting-countersignature"
    requested_at: dt.datetime


class ErasureCarriedOut(msgspec.Struct, kw_only=True):
    id: str
    status: str  # "erased"
    erasure_seq: int  # the journal entry of kind "erasure" that records it
    entries_erased: int
    rows_erased: int
    countersigned_at: dt.datetime


class SubjectAccessIn(_In):
    cpr: CprText
    with_staff: bool = False
