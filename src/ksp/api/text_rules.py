"""The text rules of :mod:`ksp.domain.text` applied to every string of a request body.

Whatever a person types enters through a body struct: every string in it, however deeply
nested, is checked here once (no control characters but line breaks and tabs, no Unicode
line separators, no bidi controls, no zero-width characters). Single-line fields (names,
titles) are held to the stricter line rule by the domain.
"""

from __future__ import annotations

import msgspec

from ksp.domain.errors import FieldError, InvalidInput
from ksp.domain.text import text_problem

__all__ = ["refuse_hidden_text"]


def refuse_hidden_text(body: object) -> None:
    """Raise :class:`InvalidInput` naming every field whose text breaks the rules."""
    errors = [FieldError(path, problem) for path, problem in _problems(body, "")]
    if errors:
        raise InvalidInput(errors)


def _problems(value: object, path: str) -> list[tuple[str, str]]:
    if isinstance(value, str):
        problem = text_problem(value)
        return [] if problem is None else [(path or "body", problem)]
    if isinstance(value, msgspec.Struct):
        found: list[tuple[str, str]] = []
        for field in msgspec.structs.fields(value):
            name = f"{path}.{field.encode_name}" if path else field.encode_name
            found += _problems(getattr(value, field.name), name)
        return found
    if isinstance(value, list | tuple):
        return [p for i, item in enumerate(value) for p in _problems(item, f"{path}[{i}]")]
    return []
