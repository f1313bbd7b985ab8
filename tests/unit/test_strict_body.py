"""The strict body decoder: no lax coercion, the field named, the text rules applied."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.exceptions import ValidationException

from ksp.api.schemas.cases import TriageIn
from ksp.api.strict_body import StrictJSON
from ksp.domain.errors import InvalidInput


def _decoder() -> StrictJSON[Any]:
    return StrictJSON[TriageIn](None)  # type: ignore[arg-type]  # decode_bytes needs no connection


def test_a_string_is_not_coerced_to_a_boolean() -> None:
    """``"true"`` is a string, so a boolean field refuses it instead of guessing."""
    with pytest.raises(ValidationException) as raised:
        _decoder().decode_bytes(b'{"decision": "meeting", "corrects": "true"}')
    (problem,) = raised.value.extra  # type: ignore[misc]
    assert (problem["key"], problem["source"]) == ("data", "body")
    assert "$.corrects" in problem["message"]


def test_malformed_json_is_a_validation_error_of_the_body() -> None:
    """Bytes that are not JSON are refused as a malformed body."""
    with pytest.raises(ValidationException):
        _decoder().decode_bytes(b"{not json")


def test_hidden_characters_in_a_string_are_refused_by_name() -> None:
    """The text rules run inside the decoder: a bidi control in ``reason`` is named."""
    with pytest.raises(InvalidInput) as raised:
        _decoder().decode_bytes('{"decision": "meeting", "reason": "ok\u202e"}'.encode())
    assert [e.field for e in raised.value.errors] == ["reason"]
