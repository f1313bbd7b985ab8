"""The case form (``/sager/ny`` and a case's correction): its fields, the choices of its
selects, and turning what was posted into the domain's :class:`CaseDraft`.

The labels are the contract's (CONTRACT.md, "The web application"). What cannot even be
read as a draft (a missing date, an unknown status) is reported with the domain's own field
errors for the rest, so one refused post shows every problem at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from functools import cache
from typing import Any

from ksp.api.schemas.common import nfc
from ksp.domain import reference
from ksp.domain.cases import Case, CaseDraft, Custody, Submitter, parse_case
from ksp.domain.corrections import CORRECTABLE, draft_of
from ksp.domain.errors import FieldError, InvalidInput, KspError
from ksp.domain.reference import UnitTable
from ksp.web.forms import FormValues, field_errors, optional_date, required_date
from ksp.web.labels import CUSTODY_DA
from ksp.web.messages import sentence_of

__all__ = [
    "CASE_FIELDS",
    "LABELS",
    "case_choices",
    "changes_from",
    "draft_from",
    "errors_of",
    "values_of_case",
]

# The domain's field path → the form's field name, in the order of the form.
CASE_FIELDS = {
    "subject.name": "name",
    "subject.cpr": "cpr",
    "cpr": "cpr",
    "custody": "custody",
    "radicalisation_concern": "radicalisation_concern",
    "security_notified_on": "security_notified_on",
    "concern": "concern",
    "municipality_code": "municipality_code",
    "police_district": "police_district",
    "kif_unit": "kif_unit",
    "detained_since": "detained_since",
    "released_on": "released_on",
    "urgent": "urgent",
    "reason": "reason",
}
LABELS = {
    "name": "Navn",
    "cpr": "CPR-nummer",
    "custody": "Status",
    "radicalisation_concern": "Bekymring for radikalisering",
    "security_notified_on": "Koncern Sikkerhed underrettet den",
    "concern": "Årsag til bekymring",
    "municipality_code": "Kommune",
    "police_district": "Politikreds",
    "kif_unit": "KiF-afdeling",
    "detained_since": "Indsat siden",
    "released_on": "Løsladt den",
    "urgent": "Sagen haster",
    "reason": "Begrundelse",
}
YES = "ja"
_DRAFT_NAMES = {"subject.name": "name", "subject.cpr": "cpr"}


@cache
def case_choices(units: UnitTable) -> dict[str, list[tuple[str, str]]]:
    """The options of the form's choices, sorted by their Danish names (once per table)."""
    kif = units.kif_units()
    return {
        "custody": [(value, text) for value, text in CUSTODY_DA.items()],
        "municipality_code": sorted(
            ((str(m.code), m.name) for m in reference.municipalities().values()),
            key=lambda option: option[1],
        ),
        "police_district": sorted(
            ((d.slug, d.name) for d in reference.police_districts().values()),
            key=lambda option: option[1],
        ),
        "kif_unit": sorted(
            ((u.unit, u.name) for u in units.units if u.unit in kif),
            key=lambda option: option[1],
        ),
    }


def _custody(values: FormValues, errors: list[FieldError]) -> Custody:
    try:
        return Custody(values.get("custody", ""))
    except ValueError:
        errors.append(FieldError("custody", "is required"))
        return Custody.CONVICTED  # stands in, so the other fields are still checked


def _municipality(values: FormValues, errors: list[FieldError]) -> int:
    text = values.get("municipality_code", "").strip()
    if not text.isdigit() or len(text) > 3:
        errors.append(FieldError("municipality_code", "is not one of the 98 municipalities"))
        return 0
    return int(text)


def draft_from(values: FormValues, today: dt.date) -> tuple[CaseDraft, list[FieldError]]:
    """The draft the form describes, and what could not be read from it."""
    errors: list[FieldError] = []
    draft = CaseDraft(
        name=nfc(values.get("name", "")),
        cpr=values.get("cpr", "").strip(),
        custody=_custody(values, errors),
        radicalisation_concern=values.get("radicalisation_concern") == YES,
        security_notified_on=optional_date(values, "security_notified_on", errors),
        concern=nfc(values.get("concern", "")),
        municipality_code=_municipality(values, errors),
        police_district=values.get("police_district", ""),
        kif_unit=values.get("kif_unit", ""),
        detained_since=required_date(values, "detained_since", errors) or today,
        released_on=optional_date(values, "released_on", errors),
        urgent=values.get("urgent") == YES,
        meeting_id=None,
    )
    return draft, errors


def errors_of(
    refusal: KspError | None,
    unread: list[FieldError],
    check: CaseDraft | None = None,
    *,
    now: dt.datetime | None = None,
    kif_units: Collection[str] | None = None,
) -> dict[str, str]:
    """The Danish messages by field of a refused post: the fields that could not be read,
    the domain's field errors (of ``refusal``, or of checking ``check`` without storing it),
    and a rule's sentence on the field it concerns (the remand rule on the concern box)."""
    found = list(unread)
    rule: str | None = None
    if check is not None and refusal is None:
        try:
            submitter = Submitter("-", "-", "-")
            moment = now or dt.datetime.now(dt.UTC)
            parse_case(check, case_id="-", submitter=submitter, now=moment, kif_units=kif_units)
        except KspError as exc:
            refusal = exc
    if isinstance(refusal, InvalidInput):
        found += [e for e in refusal.errors if e.field not in {u.field for u in unread}]
    elif refusal is not None:
        rule = sentence_of(refusal)
    messages = field_errors(InvalidInput(found), CASE_FIELDS) if found else {}
    if rule is not None:
        messages["radicalisation_concern"] = rule
    return messages


def values_of_case(case: Case, *, full_cpr: bool) -> dict[str, Any]:
    """The form's values for an existing case (the correction form starts from them). The
    CPR number only to those who see it in full through the API (KiF); for others the field
    starts empty and is filled only to correct it."""
    return {
        "name": case.name,
        "cpr": case.cpr.formatted if full_cpr else "",
        "custody": case.custody.value,
        "radicalisation_concern": YES if case.radicalisation_concern else "",
        "security_notified_on": _iso(case.security_notified_on),
        "concern": case.concern,
        "municipality_code": str(case.municipality_code),
        "police_district": case.police_district,
        "kif_unit": case.kif_unit,
        "detained_since": _iso(case.detained_since),
        "released_on": _iso(case.released_on),
        "urgent": YES if case.urgent else "",
    }


def _iso(day: dt.date | None) -> str:
    return "" if day is None else day.isoformat()


def changes_from(case: Case, draft: CaseDraft) -> dict[str, Any]:
    """The fields the correction form changed, by the names the rules use (a CPR number
    written with or without its dash is the same number)."""
    current = draft_of(case)
    changed: dict[str, Any] = {}
    for field in CORRECTABLE:
        name = _DRAFT_NAMES.get(field, field)
        given, was = getattr(draft, name), getattr(current, name)
        if name == "cpr" and given.replace("-", "") == was.replace("-", ""):
            continue
        if given != was:
            changed[field] = given
    return changed
