"""Reading a submitted form, and a refused one's field errors in Danish.

A handler reads ``await form_values(request)``, builds the domain's draft, and on
``InvalidInput`` re-renders the form with ``field_errors(exc, FIELDS)`` (the domain's field
paths mapped to the form's field names) and the values as they were sent, so nothing the
person typed is lost.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from litestar import Request

from ksp.auth.csrf import CSRF_FIELD
from ksp.domain.errors import FieldError, InvalidInput
from ksp.web.messages import field_message

__all__ = [
    "FormValues",
    "field_errors",
    "form_list",
    "form_values",
    "optional_date",
    "required_date",
]

FormValues = dict[str, str]


async def form_values(request: Request[Any, Any, Any]) -> FormValues:
    """The form's fields (the last value of each), without the CSRF token."""
    form = await request.form()
    return {key: str(form.get(key, "")) for key in form if key != CSRF_FIELD}


async def form_list(request: Request[Any, Any, Any], name: str) -> list[str]:
    """Every value of a field that may repeat (a group of checkboxes)."""
    form = await request.form()
    return [str(value) for value in form.getall(name, [])]


def field_errors(exc: InvalidInput, fields: Mapping[str, str]) -> dict[str, str]:
    """Field name → Danish message, in the order of ``fields`` (domain path → form name);
    an error on a field the form does not have goes to the first field."""
    found: dict[str, str] = {}
    first = next(iter(fields.values()))
    for error in exc.errors:
        name = fields.get(error.field, first)
        found.setdefault(name, field_message(error.message))
    order = list(dict.fromkeys(fields.values()))
    return dict(sorted(found.items(), key=lambda item: order.index(item[0])))


def optional_date(values: FormValues, name: str, errors: list[FieldError]) -> dt.date | None:
    """``YYYY-MM-DD`` (a date input's value) or empty; a wrong one is noted in ``errors``."""
    text = values.get(name, "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        errors.append(FieldError(name, "must be a date"))
        return None


def required_date(values: FormValues, name: str, errors: list[FieldError]) -> dt.date | None:
    found = optional_date(values, name, errors)
    if found is None and not any(e.field == name for e in errors):
        errors.append(FieldError(name, "is required"))
    return found
