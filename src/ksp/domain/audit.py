"""The access log: who read which personal data, when."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

__all__ = ["AccessRecord"]


@dataclass(frozen=True, slots=True)
class AccessRecord:
    """One read of personal data: who, when, what, why, and for lists how many
    subjects."""

    id: int
    at: dt.datetime
    sub: str
    role: str
    unit: str
    resource: str
    resource_id: str | None
    subject_count: int
    request_id: str | None
    purpose: str  # a ksp.domain.access.Purpose value
