"""Unknown query parameters are refused (400 naming each), so that a mistyped filter such as
``?from=`` never silently answers as if it were not there."""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterable
from typing import Any, cast

from litestar.connection import ASGIConnection
from litestar.exceptions import ValidationException
from litestar.handlers.base import BaseRouteHandler
from litestar.types.internal_types import PathParameterDefinition

__all__ = ["known_query_parameters_only"]

# Per handler object (never per id(): ids are reused once a test's app is collected).
_KNOWN: weakref.WeakKeyDictionary[BaseRouteHandler, frozenset[str]] = weakref.WeakKeyDictionary()
# A parameter name is echoed only when it looks like one; anything else could be data.
_ECHOABLE = re.compile(r"^[a-z_][a-z0-9_]{0,40}$")


def _known(handler: BaseRouteHandler, path_parameters: Iterable[str]) -> frozenset[str]:
    """The query parameters Litestar itself will read for ``handler`` (its own and its
    dependencies'), computed once per handler."""
    known = _KNOWN.get(handler)
    if known is None:
        # Only the names of the path parameters matter to which query parameters it expects.
        names = cast("dict[str, PathParameterDefinition]", dict.fromkeys(path_parameters))
        model = handler.create_kwargs_model(path_parameters=names)
        known = frozenset(param.field_alias for param in model.expected_query_params)
        _KNOWN[handler] = known
    return known


async def known_query_parameters_only(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """A guard: every query parameter must be one the handler declares (a coroutine, so that
    Litestar does not run it in a worker thread)."""
    if not connection.query_params:
        return
    known = _known(handler, connection.path_params)
    unknown = sorted(set(connection.query_params) - known)
    if unknown:
        raise ValidationException(
            detail="unknown query parameter",
            extra=[
                {
                    "key": name if _ECHOABLE.match(name) else "query",
                    "message": "contains unknown field",
                    "source": "query",
                }
                for name in unknown
            ],
        )
