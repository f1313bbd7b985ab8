"""Canonical JSON: RFC 8785 (JCS) bytes of Unicode-NFC text.

Every string, keys and values alike, is normalised to NFC before serialisation, so two
spellings of "é" (one code point, or "e" and a combining accent) give the same bytes and
the same hash. Two keys that become equal under NFC are refused rather than merged.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any, cast

import rfc8785

__all__ = ["canonical"]


def canonical(value: object) -> bytes:
    """The JCS bytes of ``value`` after NFC normalisation.

    ``value`` is built from dicts (string keys), lists, tuples, str, int, float, bool and
    None. :class:`ValueError` for anything JCS cannot represent exactly: other types,
    integers beyond 2**53 - 1, NaN and infinities, lone surrogates, NFC-colliding keys;
    :class:`TypeError` for keys that are not strings.
    """
    return rfc8785.dumps(cast("Any", _nfc(value)))


def _nfc(value: object) -> object:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, Mapping):
        return _nfc_object(value)
    if isinstance(value, list | tuple):
        return [_nfc(item) for item in value]
    return value


def _nfc_object(value: Mapping[object, object]) -> dict[str, object]:
    normalised: dict[str, object] = {}
    for key, item in value.items():
        if not isinstance(key, str):
            raise TypeError("object keys must be strings")
        name = unicodedata.normalize("NFC", key)
        if name in normalised:
            raise ValueError("two object keys are equal after NFC normalisation")
        normalised[name] = _nfc(item)
    return normalised
