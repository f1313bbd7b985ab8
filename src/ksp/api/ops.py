"""Liveness and readiness, outside ``/api/v1`` and without authentication."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar import Response, get
from litestar.di import NamedDependency

from ksp.api.docs import problems
from ksp.api.problems import ProblemType, problem_response
from ksp.api.schemas.common import Problem

__all__ = ["health", "ready"]

NOT_READY = ProblemType(503, "not-ready", "Not ready")


@get("/health", summary="The process lives", tags=["operations"])
async def health() -> dict[str, str]:
    return {"status": "ok"}


@get(
    "/ready",
    summary="The database answers and is at this release's migration head",
    tags=["operations"],
    responses={503: problems(503)[503]},
)
async def ready(
    database_ping: NamedDependency[Callable[[], Awaitable[bool]]],
) -> Response[dict[str, str]] | Response[Problem]:
    if await database_ping():
        return Response({"status": "ready"})
    return problem_response(
        NOT_READY, "The database does not answer, or is not migrated to this release."
    )
