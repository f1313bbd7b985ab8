"""Rules for text a person types: the one place that says what may enter the service.

PostgreSQL refuses NUL in text; a line break in a value that becomes a mail header (a
meeting's title) would start a header line of its own; an RFC 2047 encoded word
(``=?utf-8?q?...?=``) is decoded by mail software, so ``=0D=0A`` inside one becomes a raw
CRLF (header injection); and bidi overrides and zero-width characters make a text read
differently from what it holds (a name that looks like another, a reversed CPR number).
All of these are refused at the door, with the field named, never quoted.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "address_problem",
    "header_problem",
    "hidden_problem",
    "line_problem",
    "text_problem",
    "title_problem",
]

_ALLOWED_IN_TEXT = {"\n", "\r", "\t"}
# Bidi embeddings, overrides and isolates, the directional marks, and zero-width characters.
_HIDDEN = frozenset(
    "\u202a\u202b\u202c\u202d\u202e"  # LRE RLE PDF LRO RLO
    "\u2066\u2067\u2068\u2069"  # LRI RLI FSI PDI
    "\u200e\u200f\u061c"  # LRM RLM ALM
    "\u200b\u200c\u200d\u2060\ufeff"  # ZWSP ZWNJ ZWJ WJ BOM
)
# Line and paragraph separators that are not control characters (Zl, Zp).
_SEPARATOR_CATEGORIES = frozenset({"Zl", "Zp"})
_ENCODED_WORD_START = "=?"
# A CPR number as a person writes it: ddmmyy-xxxx, ddmmyy xxxx or ten digits in a row.
_CPR_SHAPED = re.compile(r"(?<!\d)\d{6}[- ]?\d{4}(?!\d)")
_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


def hidden_problem(value: str) -> str | None:
    """Why ``value`` holds characters that hide what it says, or None."""
    if any(ch in _HIDDEN for ch in value):
        return "must not contain bidi controls or zero-width characters"
    return None


def line_problem(value: str) -> str | None:
    """Why ``value`` is not a single line of plain text, or None.

    Single lines (names, titles) may end up in a mail header: no control character, no
    line or paragraph separator, no encoded word, nothing hidden.
    """
    if any(
        unicodedata.category(ch) == "Cc" or unicodedata.category(ch) in _SEPARATOR_CATEGORIES
        for ch in value
    ):
        return "must be one line without control characters or line separators"
    if _ENCODED_WORD_START in value:
        return "must not contain '=?' (an encoded word)"
    return hidden_problem(value)


def text_problem(value: str) -> str | None:
    """Why ``value`` is not acceptable free text (line breaks and tabs are), or None."""
    if any(
        (unicodedata.category(ch) == "Cc" and ch not in _ALLOWED_IN_TEXT)
        or unicodedata.category(ch) in _SEPARATOR_CATEGORIES
        for ch in value
    ):
        return "must not contain control characters or Unicode line separators"
    return hidden_problem(value)


def title_problem(value: str) -> str | None:
    """Why ``value`` cannot be a meeting title (stored and shown unencrypted), or None."""
    if problem := line_problem(value):
        return problem
    if _CPR_SHAPED.search(value):
        return "must not name a person: titles are not encrypted, and this looks like a CPR number"
    return None


def address_problem(value: str) -> str | None:
    """Why ``value`` is not a plain ASCII e-mail address (``local@domain``), or None.

    No encoded words, no controls, no non-ASCII look-alikes: the address goes into the
    ``To`` header and the SMTP envelope exactly as it is stored.
    """
    if _ENCODED_WORD_START in value or not _ADDRESS.fullmatch(value):
        return "is not an e-mail address"
    return None


def header_problem(value: str) -> str | None:
    """Why ``value`` cannot be a mail header's value as it is, or None (the mail adapter's
    last check: it would otherwise be decoded or folded into more than one header)."""
    if any(ch in "\r\n" for ch in value) or (value and value.splitlines() != [value]):
        return "holds a line break"
    if _ENCODED_WORD_START in value:
        return "holds an encoded word"
    if any(unicodedata.category(ch) == "Cc" for ch in value) or hidden_problem(value):
        return "holds a control or hidden character"
    return None
