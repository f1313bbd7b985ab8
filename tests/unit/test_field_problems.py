"""The field problems the API answers, taken from decoder messages without their values."""

from __future__ import annotations

import msgspec
import pytest

from ksp.api.field_errors import field_problems, from_decoder_message
from ksp.api.schemas.common import FieldProblem


def _message(body: bytes, model: type) -> str:
    with pytest.raises(msgspec.ValidationError) as caught:
        msgspec.json.decode(body, type=model, strict=True)
    return str(caught.value)


class Person(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    codes: list[int]


def test_a_value_quoted_by_the_decoder_never_reaches_the_problem() -> None:
    """`Invalid enum value 'Jens Jensen'` becomes a fixed phrase."""
    problem = from_decoder_message("Invalid enum value 'Jens Jensen' - at `$.custody`")
    assert problem == FieldProblem(field="custody", message="is not one of the allowed values")


def test_a_list_item_is_named_by_its_index() -> None:
    """`$.codes[1]` is the second code."""
    message = _message(b'{"name": "a", "codes": [1, "x"]}', Person)
    assert from_decoder_message(message) == FieldProblem(
        field="codes[1]", message="has the wrong type"
    )


def test_a_missing_top_level_field_is_named() -> None:
    """A missing field has no path in msgspec's message, only its name."""
    message = _message(b'{"codes": []}', Person)
    assert from_decoder_message(message) == FieldProblem(field="name", message="is required")


def test_litestar_extra_names_query_parameters_and_body_fields() -> None:
    """Litestar's `extra` rows become problems by key and source."""
    extra = [
        {"key": "limit", "message": "Expected `int`, got `str`", "source": "query"},
        {
            "key": "data",
            "message": "Object missing required field `x` - at `$.a`",
            "source": "body",
        },
    ]
    assert field_problems(extra) == [
        FieldProblem(field="limit", message="has the wrong type"),
        FieldProblem(field="a.x", message="is required"),
    ]


def test_an_extra_that_is_not_a_list_gives_no_problems() -> None:
    """A plain string or mapping in `extra` is not field information."""
    assert field_problems("text") == []
    assert field_problems({"key": "x"}) == []
