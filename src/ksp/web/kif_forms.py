"""Reading the KiF and participant forms: plain ``application/x-www-form-urlencoded``
posts (every form works without JavaScript), their dates and Danish wall-clock times, and
the refused fields of a service's :class:`InvalidInput` as Danish messages by form field.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from litestar import Request

from ksp.api.problems import status_of
from ksp.api.schemas.common import nfc
from ksp.domain.danish_time import COPENHAGEN
from ksp.domain.errors import FieldError, InvalidInput, KspError
from ksp.web.messages import field_message, sentence_of, slug_of

__all__ = ["NO_REFUSAL", "Form", "Refusal", "form_of", "refused_fields"]

_INDEXED = re.compile(r"^([a-z_]+)\[(\d+)\](?:\.(.+))?$")


@dataclass
class Form:
    """The posted fields, and the problems found while reading them (by field name)."""

    values: Mapping[str, Any]
    errors: list[FieldError] = field(default_factory=list)

    def text(self, name: str, *, required: bool = False) -> str:
        value = nfc(str(self.values.get(name) or "")).strip()
        if required and not value:
            self.errors.append(FieldError(name, "is required"))
        return value

    def optional(self, name: str) -> str | None:
        return self.text(name) or None

    def all(self, name: str) -> list[str]:
        getall = getattr(self.values, "getall", None)
        values = getall(name, []) if getall else [self.values.get(name)]
        return [str(v) for v in values if v]

    def choice(self, name: str, allowed: Collection[str]) -> str:
        """One of ``allowed`` (a select's or radio group's value), else noted as missing."""
        value = self.text(name)
        if value not in allowed:
            self.errors.append(FieldError(name, "is required"))
        return value

    def checked(self, name: str) -> bool:
        return self.values.get(name) in ("on", "ja", "true", "1")

    def integer(self, name: str, *, required: bool = True) -> int | None:
        text = self.text(name, required=required)
        if not text:
            return None
        try:
            return int(text)
        except ValueError:
            self.errors.append(FieldError(name, "must be a whole number"))
            return None

    def date(self, name: str, *, required: bool = False) -> dt.date | None:
        text = self.text(name, required=required)
        if not text:
            return None
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            self.errors.append(FieldError(name, "must be a valid date"))
            return None

    def copenhagen_time(self, date_name: str, time_name: str) -> dt.datetime | None:
        """A date and a wall-clock time in Denmark (``<input type=date>`` and ``time``)."""
        day = self.date(date_name, required=True)
        text = self.text(time_name, required=True)
        if day is None or not text:
            return None
        try:
            clock = dt.time.fromisoformat(text)
        except ValueError:
            self.errors.append(FieldError(time_name, "must be a valid time"))
            return None
        return dt.datetime.combine(day, clock, tzinfo=COPENHAGEN)

    def check(self) -> None:
        """Raise the problems found so far, as a service would."""
        if self.errors:
            raise InvalidInput(self.errors)


async def form_of(request: Request[Any, Any, Any]) -> Form:
    return Form(await request.form())


def refused_fields(exc: InvalidInput, renamed: Mapping[str, str] | None = None) -> dict[str, str]:
    """Each refused field's Danish message, keyed by the form field that shows it: a
    service's ``add[2]`` is the form's ``add``, ``attendees[2].name`` the form's row field
    ``name_2``, and ``renamed`` maps service names (such as ``subject.cpr``) to form names.
    The first message per field wins."""
    shown: dict[str, str] = {}
    for error in exc.errors:
        name = error.field
        if found := _INDEXED.match(name):
            listed, row, part = found.groups()
            name = listed if part is None else f"{part}_{row}"
        name = (renamed or {}).get(name, name)
        shown.setdefault(name, field_message(error.message))
    return shown


@dataclass(frozen=True)
class Refusal:
    """Why a posted form comes back: its refused fields (422) or the problem as a Danish
    sentence (with the API's status), and the values as they were sent."""

    status: int = 200
    errors: dict[str, str] = field(default_factory=dict)
    problem: str | None = None
    values: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        exc: KspError,
        values: Mapping[str, Any] | None = None,
        renamed: Mapping[str, str] | None = None,
    ) -> Refusal:
        if isinstance(exc, InvalidInput):
            return cls(422, refused_fields(exc, renamed), None, values or {})
        return cls(status_of(exc), {}, sentence_of(exc), values or {})

    def at_field(self, exc: KspError, fields: Mapping[str, str]) -> Refusal:
        """The problem as the error of the form field it concerns (``fields``: problem slug
        → field name), so it stands next to that field and in the error summary."""
        name = fields.get(slug_of(exc))
        if name is None or self.problem is None:
            return self
        return replace(self, errors={name: self.problem}, problem=None)

    def context(self) -> dict[str, Any]:
        return {"errors": self.errors, "problem": self.problem, "values": self.values}


NO_REFUSAL = Refusal()
