"""The one map from errors to RFC 9457 problem details.

Titles and details are fixed per type. Nothing from a request, a cause or an exception
message reaches the client, except field paths and the rule a field broke.
"""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import structlog
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from ksp.api.field_errors import field_problems
from ksp.api.schemas.common import FieldProblem, Problem
from ksp.domain import errors
from ksp.observability import exception_location

__all__ = [
    "PROBLEMS",
    "PROBLEM_BASE",
    "ProblemType",
    "exception_handlers",
    "problem_response",
    "status_of",
]

PROBLEM_BASE = "https://ksp.kriminalforsorgen.dk/problems/"
MEDIA_TYPE = "application/problem+json"

log = structlog.get_logger("ksp.api")


@dataclass(frozen=True, slots=True)
class ProblemType:
    status: int
    slug: str
    title: str

    @property
    def uri(self) -> str:
        return PROBLEM_BASE + self.slug


VALIDATION = ProblemType(422, "validation", "The request is not valid")
MALFORMED = ProblemType(400, "validation", "The request is not valid")
INTERNAL = ProblemType(500, "internal", "Internal error")

PROBLEMS: dict[type[errors.KspError], ProblemType] = {
    errors.InvalidInput: VALIDATION,
    errors.MalformedInput: MALFORMED,
    errors.InvalidParameter: MALFORMED,
    errors.IdempotencyKeyReused: ProblemType(
        422, "idempotency-key-reused", "Idempotency-Key reused"
    ),
    errors.RemandRequiresRadicalisationConcern: ProblemType(
        422,
        "remand-requires-radicalisation-concern",
        "A remand case needs a radicalisation concern",
    ),
    errors.RecipientKeyUnusable: ProblemType(
        422, "recipient-key-unusable", "A recipient's OpenPGP key or certificate cannot be used"
    ),
    errors.NotificationOmissionNeedsManager: ProblemType(
        422, "notification-omission-needs-manager", "Not telling needs a manager's discussion"
    ),
    errors.RuleViolation: ProblemType(422, "rule-violation", "A rule forbids this"),
    errors.NotAuthenticated: ProblemType(401, "not-authenticated", "Not authenticated"),
    errors.CsrfTokenInvalid: ProblemType(403, "csrf-token-invalid", "Missing or wrong CSRF token"),
    errors.Forbidden: ProblemType(403, "forbidden", "Forbidden"),
    errors.NotFound: ProblemType(404, "not-found", "Not found"),
    errors.InvalidStatusTransition: ProblemType(
        409, "invalid-status-transition", "Invalid status transition"
    ),
    errors.NotLatestVersion: ProblemType(
        409, "not-latest-version", "Not the latest version of the KSP document"
    ),
    errors.MeetingCancelled: ProblemType(409, "meeting-cancelled", "The meeting is cancelled"),
    errors.MeetingStatusConflict: ProblemType(
        409, "meeting-status", "The meeting's status does not allow this"
    ),
    errors.DuplicateOutcome: ProblemType(
        409, "duplicate-outcome", "The case already has an outcome at this meeting"
    ),
    errors.RecipientExists: ProblemType(409, "recipient-exists", "The recipient exists already"),
    errors.AlreadyCirculated: ProblemType(
        409, "already-circulated", "The version was already circulated"
    ),
    errors.Conflict: ProblemType(409, "conflict", "Conflict"),
    errors.JournalIntegrityError: ProblemType(
        503, "journal-integrity", "The journal fails verification"
    ),
    errors.CommitOutcomeUnknown: ProblemType(
        503, "commit-outcome-unknown", "The outcome of saving is unknown"
    ),
    errors.PrintFailed: ProblemType(503, "print-failed", "The PDF could not be made"),
    errors.JournalRolledBack: ProblemType(503, "journal-rolled-back", "The journal went backwards"),
    errors.StorageUnavailable: ProblemType(
        503, "storage-unavailable", "The database is unavailable"
    ),
    errors.TokenKeysUnavailable: ProblemType(
        503, "token-keys-unavailable", "The identity provider's keys cannot be fetched"
    ),
}
RETRY_AFTER_SECONDS = "1"
CLIENT_GONE_KEY = "ksp_client_gone"  # set in scope state when the client left mid-request

_HTTP_SLUGS = {
    400: "validation",
    401: "not-authenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    413: "payload-too-large",
    415: "unsupported-media-type",
    429: "too-many-requests",
}


def problem_response(
    kind: ProblemType, detail: str, field_errors: list[FieldProblem] | None = None
) -> Response[Problem]:
    body = Problem(
        type=kind.uri,
        title=kind.title,
        status=kind.status,
        detail=detail,
        errors=field_errors or [],
    )
    return Response(body, status_code=kind.status, media_type=MEDIA_TYPE)


def _kind_of(exc: errors.KspError) -> ProblemType:
    for klass in type(exc).__mro__:
        if klass in PROBLEMS:
            return PROBLEMS[klass]
    return INTERNAL


def status_of(exc: BaseException) -> int:
    """The status the handlers below answer ``exc`` with (for the access line of a request
    whose exception is handled outside the request middleware, e.g. authentication's)."""
    if isinstance(exc, errors.KspError):
        return _kind_of(exc).status
    if isinstance(exc, HTTPException) and exc.status_code < 500:
        return 400 if isinstance(exc, ValidationException) else exc.status_code
    return 500


def _domain(_: Request[Any, Any, Any], exc: errors.KspError) -> Response[Problem]:
    kind = _kind_of(exc)
    field_errors = None
    if isinstance(exc, errors.InvalidInput):
        field_errors = [FieldProblem(field=e.field, message=e.message) for e in exc.errors]
    headers = {"WWW-Authenticate": "Bearer"} if kind.status == 401 else None
    if isinstance(exc, errors.StorageUnavailable):
        headers = {"Retry-After": RETRY_AFTER_SECONDS}
        cause = exc.__cause__ or exc
        log.warning("storage_unavailable", error=type(cause).__name__, at=exception_location(cause))
    elif isinstance(exc, errors.TokenKeysUnavailable):
        headers = {"Retry-After": RETRY_AFTER_SECONDS}
        log.warning("token_keys_unavailable")
    elif isinstance(exc, errors.PrintFailed):
        headers = {"Retry-After": RETRY_AFTER_SECONDS}
        log.warning("print_failed", reason=exc.reason)
    response = problem_response(kind, exc.detail, field_errors)
    if headers:
        response.headers.update(headers)
    return response


def _fields_of(exc: ValidationException) -> list[FieldProblem]:
    """The fields that failed, by path and kind, never by the decoder's message (it may quote
    a value): from Litestar's ``extra`` list, which the strict body decoder fills too."""
    return field_problems(exc.extra)


def _http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Problem]:
    status = exc.status_code
    if isinstance(exc, ValidationException) or status == 400:
        fields = _fields_of(exc) if isinstance(exc, ValidationException) else []
        return problem_response(MALFORMED, "The request body or parameters are malformed.", fields)
    if status >= 500:
        return _internal(request, exc)
    phrase = HTTPStatus(status).phrase
    kind = ProblemType(status, _HTTP_SLUGS.get(status, "http-error"), phrase)
    return problem_response(kind, f"{phrase}.")


def _internal(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    if request.scope.get("state", {}).get(CLIENT_GONE_KEY):
        # The client left mid-body (Litestar raises a 500 for it): not our fault, nothing
        # was read to the end, so nothing was done; the answer goes nowhere.
        log.info("client_disconnected")
        return problem_response(MALFORMED, "The client disconnected before the body ended.")
    log.error("unhandled_exception", error=type(exc).__name__, at=exception_location(exc))
    return problem_response(INTERNAL, "An internal error occurred; it has been logged.")


exception_handlers = {
    errors.KspError: _domain,
    HTTPException: _http,
    Exception: _internal,
}
