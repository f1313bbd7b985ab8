"""Danish local dates and times for people, whatever the season and the process's locale."""

from __future__ import annotations

import datetime as dt
import locale

import pytest

from ksp.domain.danish_time import danish_date, danish_datetime, in_copenhagen


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def test_a_winter_meeting_is_shown_at_danish_normal_time() -> None:
    """09:00 UTC in December is 10.00 in Copenhagen (+01:00)."""
    assert danish_datetime(utc(2026, 12, 10, 9, 0)) == "torsdag 10. december 2026 kl. 10.00"


def test_a_summer_meeting_is_shown_at_danish_summer_time() -> None:
    """08:30 UTC in June is 10.30 in Copenhagen (+02:00)."""
    assert danish_datetime(utc(2026, 6, 15, 8, 30)) == "mandag 15. juni 2026 kl. 10.30"


def test_any_offset_names_the_same_instant() -> None:
    """A time given at +05:00 shows as the Copenhagen time of that instant."""
    given = dt.datetime(2026, 12, 10, 14, 0, tzinfo=dt.timezone(dt.timedelta(hours=5)))
    assert danish_datetime(given) == "torsdag 10. december 2026 kl. 10.00"


@pytest.mark.parametrize(
    ("moment", "shown"),
    [
        (utc(2026, 3, 29, 0, 59), "søndag 29. marts 2026 kl. 01.59"),
        (utc(2026, 3, 29, 1, 0), "søndag 29. marts 2026 kl. 03.00"),
        (utc(2026, 3, 29, 1, 30), "søndag 29. marts 2026 kl. 03.30"),
    ],
)
def test_the_hour_skipped_in_march_is_never_shown(moment: dt.datetime, shown: str) -> None:
    """Summer time starts 29 March 2026 at 02.00, when the clock jumps to 03.00."""
    assert danish_datetime(moment) == shown


@pytest.mark.parametrize(
    ("moment", "shown"),
    [
        (utc(2026, 10, 24, 23, 59), "søndag 25. oktober 2026 kl. 01.59"),
        (utc(2026, 10, 25, 0, 30), "søndag 25. oktober 2026 kl. 02.30 (sommertid)"),
        (utc(2026, 10, 25, 1, 30), "søndag 25. oktober 2026 kl. 02.30 (normaltid)"),
        (utc(2026, 10, 25, 2, 0), "søndag 25. oktober 2026 kl. 03.00"),
    ],
)
def test_the_hour_repeated_in_october_says_which_it_is(moment: dt.datetime, shown: str) -> None:
    """Summer time ends 25 October 2026 at 03.00, when the clock goes back to 02.00."""
    assert danish_datetime(moment) == shown


def test_the_local_offset_follows_the_season() -> None:
    """+01:00 in winter, +02:00 in summer."""
    assert in_copenhagen(utc(2026, 1, 5, 12)).isoformat() == "2026-01-05T13:00:00+01:00"
    assert in_copenhagen(utc(2026, 7, 5, 12)).isoformat() == "2026-07-05T14:00:00+02:00"


def test_a_naive_datetime_is_refused() -> None:
    """Without an offset it names no instant."""
    with pytest.raises(ValueError, match="naive"):
        in_copenhagen(dt.datetime(2026, 12, 10, 10, 0))  # noqa: DTZ001 - the point of the test


@pytest.mark.parametrize(
    ("day", "shown"),
    [
        (dt.date(2026, 1, 1), "torsdag 1. januar 2026"),
        (dt.date(2026, 2, 7), "lørdag 7. februar 2026"),
        (dt.date(2026, 5, 3), "søndag 3. maj 2026"),
        (dt.date(2026, 8, 4), "tirsdag 4. august 2026"),
        (dt.date(2026, 11, 11), "onsdag 11. november 2026"),
        (dt.date(2026, 9, 18), "fredag 18. september 2026"),
    ],
)
def test_dates_are_spelled_in_danish(day: dt.date, shown: str) -> None:
    """Every weekday, and months of every length of name."""
    assert danish_date(day) == shown


def test_the_text_does_not_depend_on_the_process_locale() -> None:
    """Set to another locale (where the machine has one), the text stays Danish."""
    before = locale.setlocale(locale.LC_TIME)
    try:
        for name in ("C.UTF-8", "en_US.UTF-8", "C"):
            try:
                locale.setlocale(locale.LC_TIME, name)
            except locale.Error:
                continue
            assert danish_datetime(utc(2026, 12, 10, 9)) == "torsdag 10. december 2026 kl. 10.00"
    finally:
        locale.setlocale(locale.LC_TIME, before)
