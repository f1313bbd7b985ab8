"""Request bodies decoded once, strictly: a Litestar DTO that leaves no room for coercion.

Litestar's own decoding of ``data`` is lax ("101" becomes 101). Handlers declare
``dto=StrictJSON[X]`` and receive ``X`` as msgspec decodes it with ``strict=True``; every
string in it is then held to the text rules (:mod:`ksp.api.text_rules`). The OpenAPI
document describes the body by ``X`` itself, so its field constraints are published as
declared.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, TypeVar

import msgspec
from litestar.dto import MsgspecDTO
from litestar.exceptions import ValidationException
from litestar.typing import FieldDefinition

from ksp.api.text_rules import refuse_hidden_text

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator
    from litestar.openapi.spec import Reference, Schema

__all__ = ["StrictJSON"]

T = TypeVar("T", bound=msgspec.Struct)


class StrictJSON(MsgspecDTO[T], Generic[T]):
    """Decode the body as ``T`` with no lax coercion, then apply the text rules."""

    def decode_bytes(self, value: bytes) -> Any:
        """The body as ``T``; a decoder failure names its field, never its value."""
        try:
            decoded = msgspec.json.decode(value, type=self.model_type, strict=True)
        except msgspec.ValidationError as exc:
            raise _malformed(str(exc)) from None
        except msgspec.DecodeError:
            raise _malformed("malformed JSON") from None
        refuse_hidden_text(decoded)
        return decoded

    @classmethod
    def create_openapi_schema(
        cls,
        field_definition: FieldDefinition,
        handler_id: str,  # noqa: ARG003 - no per-handler transfer model is used
        schema_creator: SchemaCreator,
    ) -> Reference | Schema:
        """The body's schema is ``T``'s own (its constraints and component name), or null."""
        body: Any = cls.model_type | None if field_definition.is_optional else cls.model_type
        return schema_creator.for_field_definition(FieldDefinition.from_annotation(body))


def _malformed(message: str) -> ValidationException:
    # api/field_errors.py turns the message into a field path and a fixed phrase.
    return ValidationException(
        detail="body", extra=[{"key": "data", "message": message, "source": "body"}]
    )
