"""Danish local time for people: ``torsdag 10. december 2026 kl. 10.00``.

Instants are stored and compared in UTC; people read them in Europe/Copenhagen. The names
of days and months are spelled here, not taken from the process's locale, so the text is
the same on every machine.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

__all__ = ["COPENHAGEN", "danish_date", "danish_datetime", "in_copenhagen"]

COPENHAGEN = ZoneInfo("Europe/Copenhagen")

_WEEKDAYS = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")
_MONTHS = (
    "januar",
    "februar",
    "marts",
    "april",
    "maj",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "december",
)


def in_copenhagen(moment: dt.datetime) -> dt.datetime:
    """The same instant on Danish wall-clock time (+01:00 in winter, +02:00 in summer)."""
    if moment.tzinfo is None:
        raise ValueError("a naive datetime names no instant")
    return moment.astimezone(COPENHAGEN)


def danish_date(day: dt.date) -> str:
    """``torsdag 10. december 2026``."""
    return f"{_WEEKDAYS[day.weekday()]} {day.day}. {_MONTHS[day.month - 1]} {day.year}"


def danish_datetime(moment: dt.datetime) -> str:
    """``torsdag 10. december 2026 kl. 10.00`` in Copenhagen.

    In the hour that the clock shows twice when summer time ends, the time says which of
    the two it is: ``kl. 02.30 (sommertid)`` or ``kl. 02.30 (normaltid)``.
    """
    local = in_copenhagen(moment)
    text = f"{danish_date(local.date())} kl. {local.hour:02d}.{local.minute:02d}"
    if _shown_twice(local):
        text += " (sommertid)" if local.dst() else " (normaltid)"
    return text


def _shown_twice(local: dt.datetime) -> bool:
    """Whether the wall-clock time names two instants (the hour repeated in October).

    ``local`` came from :func:`in_copenhagen`, so it never lies in the hour skipped in
    March, the only other place where the two folds differ."""
    wall = local.replace(tzinfo=None)
    earlier = wall.replace(tzinfo=COPENHAGEN, fold=0).utcoffset()
    later = wall.replace(tzinfo=COPENHAGEN, fold=1).utcoffset()
    return earlier != later
