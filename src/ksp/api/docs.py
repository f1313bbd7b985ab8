"""OpenAPI helpers: the problem responses each route may give."""

from __future__ import annotations

from http import HTTPStatus

from litestar.openapi.datastructures import ResponseSpec

from ksp.api.schemas.common import Problem

__all__ = ["problems"]

# 431: request headers over KSP_MAX_HEADER_BYTES; 503: over KSP_MAX_CONCURRENCY (busy).
_COMMON = (400, 401, 403, 413, 431, 500, 503)


def problems(*statuses: int) -> dict[int, ResponseSpec]:
    """Problem-details responses for ``statuses`` plus those every API route may give."""
    return {
        status: ResponseSpec(
            data_container=Problem,
            media_type="application/problem+json",
            description=HTTPStatus(status).phrase,
            generate_examples=False,
        )
        for status in sorted({*_COMMON, *statuses})
    }
