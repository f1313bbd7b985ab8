"""CPR numbers (the Danish personal identification number).

DOMAIN.md: 10 digits, DDMMYY-SSSS; the 7th digit with the year gives the century; the old
modulus-11 check must not be required, as numbers issued since 2007 fail it.
python-stdnum's ``stdnum.dk.cpr`` parses the date and century; we supply "today" ourselves
so that the clock stays injectable.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from stdnum.dk import cpr as stdnum_cpr
from stdnum.exceptions import ValidationError

__all__ = ["Cpr", "InvalidCpr", "parse_cpr"]


class InvalidCpr(ValueError):
    """The text is not a CPR number. The message never contains the text."""


@dataclass(frozen=True, slots=True)
class Cpr:
    """A syntactically valid CPR number, kept as its 10 digits."""

    digits: str

    def __repr__(self) -> str:  # never let the number reach a log by accident
        return "Cpr(<redacted>)"

    __str__ = __repr__

    @property
    def formatted(self) -> str:
        """``DDMMYY-SSSS``."""
        return f"{self.digits[:6]}-{self.digits[6:]}"

    @property
    def masked(self) -> str:
        """``DDMMYY-XXXX``: what roles other than KiF see."""
        return f"{self.digits[:6]}-XXXX"

    @property
    def birth_date(self) -> dt.date:
        return stdnum_cpr.get_birth_date(self.digits)


def parse_cpr(text: str, *, today: dt.date) -> Cpr:
    """Parse ``DDMMYYSSSS`` or ``DDMMYY-SSSS``; the birth date must exist and not be after today."""
    stripped = text.strip()
    if len(stripped) == 11 and stripped[6] == "-":
        stripped = stripped[:6] + stripped[7:]
    if len(stripped) != 10 or not stripped.isascii() or not stripped.isdigit():
        raise InvalidCpr("must be 10 digits, optionally written DDMMYY-SSSS")
    try:
        born = stdnum_cpr.get_birth_date(stripped)
    except ValidationError:
        raise InvalidCpr("does not contain a valid birth date") from None
    if born > today:
        raise InvalidCpr("has a birth date in the future")
    return Cpr(stripped)
