"""Reading the KiF and participant forms: plain ``application/x-www-form-urlencoded``
posts (every form works without JavaScript), their dates and Danish wall-clock times, and
the refused fields of a service's :class:`InvalidInput` as Danish messages by form field.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from litestar import Request

from ksp.api.problems import status_of
from ksp.api.schemas.common import nfc
from ksp.domain.danish_time import COPENHAGEN
from ksp.domain.errors import FieldError, InvalidInput, KspError
from ksp.web.messages import field_message, sentence_of

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
        shown.setdefault(name, _danish(error.message))
    return shown


_OWN_RULES = {
    "must be a whole number": "Skriv et helt tal.",
    "must be a valid time": "Skriv et klokkeslæt, fx 10.00.",
    "must be a valid date": "Skriv en gyldig dato.",
    "add or remove at least one case": "Vælg mindst én sag at tilføje eller fjerne.",
    "is already on the list": "Sagen står allerede på listen.",
    "is not on the list": "Sagen står ikke på listen længere. Genindlæs siden.",
    "is not triaged for a meeting": "Sagen er ikke visiteret til et KSP-møde.",
    "is withdrawn": "Sagen er trukket tilbage.",
    "names a case twice": "Samme sag er valgt to gange.",
    "does not name a case of this KiF unit": "Sagen hører ikke til jeres KiF-afdeling.",
    "belongs to another municipality than the meeting's": "Sagen hører til en anden "
    "kommune end mødets.",
    "belongs to another police district than the meeting's": "Sagen hører til en anden "
    "politikreds end mødets.",
    "does not cover the municipality": "Politikredsen dækker ikke kommunen. Vælg den "
    "politikreds, kommunen ligger i.",
    "must not lie more than a day in the past": "Mødet må ikke ligge mere end en dag tilbage "
    "i tiden.",
    "must not lie more than 2 years ahead": "Mødet må højst ligge 2 år ude i fremtiden.",
    "must not be in the past": "Tidspunktet må ikke ligge i fortiden.",
    "names no recipient of yours": "Vælg en modtager fra jeres liste.",
    "names a retired recipient": "Modtageren er udtrådt. Vælg en anden.",
    "the meeting has none": "Mødet har ingen deltagere endnu. Tilføj deltagere først.",
    "must be true when a reason is given": "Sæt kryds i »Send igen«, når du skriver en "
    "begrundelse.",
    "is not on the latest list version": "Sagen står ikke på mødets seneste KSP-liste.",
    "must not be before the meeting": "Fristen må ikke ligge før mødet.",
    "must be a lower-case unit slug": "Skriv enheden med små bogstaver, fx kommune-101.",
    "must hold 1 to 50 attendees": "Skriv mellem 1 og 50 deltagere.",
    "must have someone present": "Mindst én skal være til stede.",
    "must have at most one chair": "Der kan højst være én mødeleder.",
    "is required of everyone present": "Alle, der er til stede, skal have tilsluttet sig "
    "tavshedspligten.",
    "must name this case's current outcome": "Vælg sagens nuværende resultat.",
    "must be a full 40-hex-digit fingerprint": "Skriv hele fingeraftrykket: 40 tegn 0-9 og A-F.",
    "changes under Unicode normalisation (NFKC)": "Adressen indeholder tegn, der ligner "
    "andre tegn. Skriv den med almindelige bogstaver.",
    "names the KiF unit to ask": "Vælg den KiF-afdeling, henvendelsen går til.",
    "must be your own unit": "Vælg jeres egen KiF-afdeling.",
    "is required when a participant proposes": "Vælg det møde, borgeren foreslås til.",
    "names no meeting you may propose for": "Vælg et møde, du deltager i.",
    "must be the meeting's KiF unit": "Sagen skal gå til mødets KiF-afdeling.",
    "must be the meeting's municipality": "Borgeren skal høre til mødets kommune.",
    "must be the meeting's police district": "Borgeren skal høre til mødets politikreds.",
    "is required when the decision departs from the suggestion or there is none": "Skriv "
    "en begrundelse: afgørelsen afviger fra forslaget, eller der er intet forslag.",
    "is not acceptable text": "Teksten kan ikke bruges. Fjern usynlige tegn, og prøv igen.",
    "is required when a case is rejected": "Skriv en begrundelse, når sagen afvises.",
    "is required when the action was not done": "Skriv, hvad der skete, når handlingen "
    "ikke blev udført.",
}


def _danish(message: str) -> str:
    own = _OWN_RULES.get(message)
    if own is None and message.startswith("would make the list longer than"):
        own = "Listen ville blive for lang. Fjern nogle sager først."
    return own or field_message(message)


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

    def context(self) -> dict[str, Any]:
        return {"errors": self.errors, "problem": self.problem, "values": self.values}


NO_REFUSAL = Refusal()
