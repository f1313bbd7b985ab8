"""Danish working days of the state: Monday to Friday, except public holidays and the days
the state's staff have off by agreement (Grundlovsdag, 24 and 31 December)."""

from __future__ import annotations

import datetime as dt
from functools import cache

import holidays

__all__ = ["add_working_days", "is_working_day"]

_DAYS_OFF_BY_AGREEMENT = ((6, 5), (12, 24), (12, 31))


@cache
def _holidays(year: int) -> frozenset[dt.date]:
    public = set(holidays.country_holidays("DK", years=year))
    public |= {dt.date(year, month, day) for month, day in _DAYS_OFF_BY_AGREEMENT}
    return frozenset(public)


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def add_working_days(start: dt.date, count: int) -> dt.date:
    """The day ``count`` working days after ``start`` (``start`` itself not counted)."""
    day = start
    remaining = count
    while remaining > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day
