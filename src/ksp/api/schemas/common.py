"""Shared pieces of the request and response bodies: field types, NFC, problem details."""

from __future__ import annotations

import unicodedata
from typing import Annotated

import msgspec

__all__ = [
    "CprText",
    "FieldProblem",
    "MunicipalityCode",
    "Name",
    "Problem",
    "Slug",
    "Text",
    "Unit",
    "nfc",
]


Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


Text = Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]


CprText = Annotated[str, msgspec.Meta(min_length=10, max_length=11, pattern=r"^\d{6}-?\d{4}$")]


Unit = Annotated[
    str, msgspec.Meta(min_length=1, max_length=100, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
]


Slug = Annotated[str, msgspec.Meta(min_length=1, max_length=40, pattern=r"^[a-z]+(-[a-z]+)*$")]


MunicipalityCode = Annotated[int, msgspec.Meta(ge=100, le=999)]


def nfc(text: str) -> str:
    """Unicode NFC, so the same name is stored and compared the same way."""
    return unicodedata.normalize("NFC", text)


class _In(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class FieldProblem(msgspec.Struct, kw_only=True):
    field: str
    message: str


class Problem(msgspec.Struct, kw_only=True, omit_defaults=True):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] = msgspec.field(default_factory=list)
