"""Field problems from a decoder's message, without ever echoing the message.

msgspec's messages may quote the value that failed (``Invalid enum value 'Jens'``), so only
the path and the kind of failure leave this module, as fixed English phrases.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from ksp.api.schemas.common import FieldProblem

__all__ = ["field_problems", "from_decoder_message"]

_PATH = re.compile(r"at `\$((?:\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\])*)`")
_NAMED_FIELD = re.compile(r"(?:missing required|contains unknown) field `([A-Za-z_][A-Za-z0-9_]*)`")

# (what the message starts with or contains, the phrase we answer with), first match wins.
_KINDS: tuple[tuple[str, str], ...] = (
    ("missing required field", "is required"),
    ("contains unknown field", "is not allowed"),
    ("Invalid enum value", "is not one of the allowed values"),
    ("RFC3339 encoded date", "is not a date (YYYY-MM-DD)"),
    ("RFC3339 encoded datetime", "is not a date and time with offset (ISO 8601)"),
    ("RFC4122 encoded UUID", "is not a UUID"),
    ("of length <=", "is too long"),
    ("of length >=", "is too short"),
    ("must match pattern", "does not have the required form"),
    ("Expected `", "has the wrong type"),
    ("Expected", "has the wrong type"),
    ("must be", "is out of range"),
)


def _kind(message: str) -> str:
    for needle, phrase in _KINDS:
        if needle in message:
            return phrase
    return "is not valid"


def from_decoder_message(message: str, *, prefix: str = "") -> FieldProblem:
    """One field problem from a msgspec message such as
    ``Object missing required field `custody` - at `$.subject```."""
    path = _PATH.search(message)
    parts = [prefix] if prefix else []
    if path is not None and path.group(1):
        parts.append(path.group(1).lstrip("."))
    named = _NAMED_FIELD.search(message)
    if named is not None:
        parts.append(named.group(1))
    field = ".".join(p for p in parts if p).replace(".[", "[") or "body"
    return FieldProblem(field=field, message=_kind(message))


def field_problems(extra: object) -> list[FieldProblem]:
    """Field problems from Litestar's ``ValidationException.extra`` (``key``, ``message``,
    ``source``): a query or path parameter by its name, a body field by its path."""
    if not isinstance(extra, Iterable) or isinstance(extra, str | bytes | Mapping):
        return []
    problems: list[FieldProblem] = []
    for item in extra:
        if not isinstance(item, Mapping):
            continue
        problems.append(_from_litestar(item))
    return problems


def _from_litestar(item: Mapping[str, Any]) -> FieldProblem:
    key = str(item.get("key") or "")
    message = str(item.get("message") or "")
    if key == "data" or item.get("source") == "body":
        key = key.removeprefix("data").lstrip(".")
    return from_decoder_message(message, prefix=key)
