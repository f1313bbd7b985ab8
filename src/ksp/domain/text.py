"""Rules for free text: no control characters that break storage, mail headers or logs.

PostgreSQL refuses NUL in text, and a line break in a value that becomes a mail header
(a meeting's title) cannot be sent; both are refused at the door with a clear error.
"""

from __future__ import annotations

import unicodedata

__all__ = ["line_problem", "text_problem"]

_ALLOWED_IN_TEXT = {"\n", "\r", "\t"}


def line_problem(value: str) -> str | None:
    """Why ``value`` is not a single line of text, or None."""
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        return "must be one line without control characters"
    return None


def text_problem(value: str) -> str | None:
    """Why ``value`` is not acceptable free text (line breaks and tabs are), or None."""
    if any(unicodedata.category(ch) == "Cc" and ch not in _ALLOWED_IN_TEXT for ch in value):
        return "must not contain control characters"
    return None
