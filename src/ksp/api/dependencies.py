"""Litestar dependencies every API handler may ask for by name: ``principal`` and ``page``.

``page`` declares the paging query parameters once (``limit`` 1..200, default 50;
``offset`` 0..1,000,000); a route with other bounds overrides it with its own provider
(the access log: :func:`provide_access_log_page`). :class:`PageOut` is the one shape of a
page in a response.
"""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

import msgspec
from litestar import Request
from litestar.di import Provide
from litestar.params import QueryParameter

from ksp.api.auth import principal_of
from ksp.domain.access import Principal
from ksp.services.ports import Page

__all__ = ["API_DEPENDENCIES", "PageOut", "page_of", "provide_access_log_page"]

T = TypeVar("T")


class PageOut(msgspec.Struct, Generic[T], kw_only=True):
    """One page of a listing; ``next_offset`` is null on the last page."""

    items: list[T]
    limit: int
    offset: int
    next_offset: int | None


def page_of(items: list[T], page: Page) -> PageOut[T]:
    """``items`` as the page ``page`` asked for; a full page may have a next one."""
    full = len(items) == page.limit
    return PageOut(
        items=items,
        limit=page.limit,
        offset=page.offset,
        next_offset=page.offset + page.limit if full else None,
    )


def _page(
    limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    offset: Annotated[int, QueryParameter(ge=0, le=1_000_000)] = 0,
) -> Page:
    return Page(limit=limit, offset=offset)


def _access_log_page(
    limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
    offset: Annotated[int, QueryParameter(ge=0, le=10_000_000)] = 0,
) -> Page:
    return Page(limit=limit, offset=offset)


def _principal(request: Request[Any, Any, Any]) -> Principal:
    return principal_of(request)


API_DEPENDENCIES = {
    "principal": Provide(_principal, sync_to_thread=False),
    "page": Provide(_page, sync_to_thread=False),
}
provide_access_log_page = {"page": Provide(_access_log_page, sync_to_thread=False)}
