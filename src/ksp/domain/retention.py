"""Retention: how long each kind of record is kept, and when one is due for erasure.

A policy (``KSP_RETENTION_FILE``) maps record kinds to durations in whole days, e.g.
``{"list_version": "365d", "exchange": "1825d"}``. List and minutes versions are counted
from their meeting's date; every other kind from its creation. A kind the policy does not
name is kept (nothing is erased by default). Pure: no clock, no storage.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "MAX_RETENTION_DAYS",
    "InvalidRetentionPolicy",
    "RecordKind",
    "RetentionPolicy",
    "parse_retention_policy",
]

MAX_RETENTION_DAYS = 36_500
"""A hundred years: a longer duration is a typo, not a policy."""

_DURATION = re.compile(r"([1-9][0-9]{0,5})d")


class RecordKind(StrEnum):
    """The kinds of record a policy may name."""

    LIST_VERSION = "list_version"  # from the meeting's date
    MINUTES_VERSION = "minutes_version"  # from the meeting's date
    EXCHANGE = "exchange"  # an exchange of information and its records, from creation
    OUTCOME = "outcome"  # a meeting's decision on a case, its actions and their notes
    ACCESS_LOG = "access_log"  # a line of the access log, from when it was written
    CASE = "case"  # a case's personal fields, from its submission
    INQUIRY = "inquiry"  # an inquiry and its decisions, from creation


class InvalidRetentionPolicy(ValueError):
    """The policy file is not a valid policy; the message names the kind or the rule."""


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """Durations per kind; a kind absent is kept indefinitely."""

    durations: Mapping[RecordKind, int] = field(default_factory=dict)  # in days

    def rule(self, kind: RecordKind) -> str | None:
        """The rule's name as the erasure entry records it, e.g. ``list_version:365d``."""
        days = self.durations.get(kind)
        return None if days is None else f"{kind.value}:{days}d"

    def cutoff(self, kind: RecordKind, now: dt.datetime) -> dt.datetime | None:
        """Records of ``kind`` dated before this are due; None if the kind is kept."""
        days = self.durations.get(kind)
        return None if days is None else now - dt.timedelta(days=days)


def parse_retention_policy(text: str) -> RetentionPolicy:
    """The policy in ``text`` (JSON); :class:`InvalidRetentionPolicy` saying what is wrong."""
    try:
        raw = json.loads(text)
    except ValueError:
        raise InvalidRetentionPolicy("is not JSON") from None
    if not isinstance(raw, dict):
        raise InvalidRetentionPolicy("must be a JSON object of record kind to duration")
    known = ", ".join(kind.value for kind in RecordKind)
    durations: dict[RecordKind, int] = {}
    for name, value in raw.items():
        try:
            kind = RecordKind(name)
        except ValueError:
            raise InvalidRetentionPolicy(
                f"unknown record kind {name[:40]!r} (known: {known})"
            ) from None
        match = _DURATION.fullmatch(value) if isinstance(value, str) else None
        if match is None:
            raise InvalidRetentionPolicy(
                f'{kind.value}: the duration must be whole days such as "365d"'
            )
        days = int(match.group(1))
        if days > MAX_RETENTION_DAYS:
            raise InvalidRetentionPolicy(
                f"{kind.value}: at most {MAX_RETENTION_DAYS}d (a hundred years)"
            )
        durations[kind] = days
    return RetentionPolicy(durations)
