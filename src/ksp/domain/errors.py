"""The one exception tree of the KSP core.

Services raise these; only ``ksp.api.problems`` turns them into HTTP answers, with fixed
titles. No exception carries personal data: messages and field errors name fields and
rules, never values.

::

    KspError
    ├── InvalidInput                     bad values in an otherwise well-formed request
    │   ├── IdempotencyKeyReused         same Idempotency-Key, different request
    │   └── InvalidParameter             a query parameter out of its range (400)
    ├── RuleViolation                    a rule of the guide forbids the request
    │   ├── RemandRequiresRadicalisationConcern   (guide 3.3.7, 3.1.1 c)
    │   ├── RecipientKeyUnusable         a key or certificate that cannot be used (3.3.7)
    │   └── NotificationOmissionNeedsManager   not telling needs reason, manager, date
    ├── NotAuthenticated                 no token, or a token that is not valid (opaque)
    ├── Forbidden                        the role may not do this at all
    │   ├── CsrfTokenInvalid             a browser's change without its session's CSRF token
    │   └── SecondPersonRequired         a countersignature by the one who asked
    ├── NotFound                         absent, or not visible to the caller's unit
    ├── Erased                           it was there, and was erased (retention, decision)
    ├── JournalIntegrityError            the stored journal fails its own checks; nothing is
    │                                    appended until an auditor has looked
    ├── StorageUnavailable               the database went away mid-request; nothing was
    │   │                                written, and the request may be retried
    │   └── CommitOutcomeUnknown         it went away during the commit itself: the
    │                                    request may or may not have been kept
    └── Conflict                         the request clashes with the current state
        ├── InvalidStatusTransition      e.g. triaging a case twice
        ├── MeetingStatusConflict        the meeting's status forbids it (e.g. moving a held one)
        │   └── MeetingCancelled         a cancelled meeting takes no change
        ├── DuplicateOutcome             a second outcome for a case without ``corrects``
        ├── RecipientExists              the address is registered in the unit already
        ├── NotLatestVersion             a list change or circulation not based on the latest
        ├── ErasureAlreadyDecided        an erasure request countersigned already
        └── AlreadyCirculated            circulating a version again without saying why
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AlreadyCirculated",
    "CommitOutcomeUnknown",
    "Conflict",
    "CsrfTokenInvalid",
    "DuplicateOutcome",
    "Erased",
    "ErasureAlreadyDecided",
    "FieldError",
    "Forbidden",
    "IdempotencyKeyReused",
    "InvalidInput",
    "InvalidParameter",
    "InvalidStatusTransition",
    "JournalIntegrityError",
    "JournalRolledBack",
    "KspError",
    "MalformedInput",
    "MeetingCancelled",
    "MeetingStatusConflict",
    "NotAuthenticated",
    "NotFound",
    "NotLatestVersion",
    "NotificationOmissionNeedsManager",
    "PrintFailed",
    "RecipientExists",
    "RecipientKeyUnusable",
    "RemandRequiresRadicalisationConcern",
    "RuleViolation",
    "SecondPersonRequired",
    "StorageUnavailable",
]


@dataclass(frozen=True)
class FieldError:
    """One problem with one field; ``message`` describes the rule, never the value."""

    field: str
    message: str


class KspError(Exception):
    """Base of every error the core raises on purpose."""

    detail: str = "The request could not be completed."

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or self.detail)
        if detail is not None:
            self.detail = detail


class InvalidInput(KspError):
    """One or more fields hold values the service cannot accept."""

    detail = "One or more fields are invalid."

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__()
        self.errors = tuple(errors)


class MalformedInput(InvalidInput):
    """400: a request header or parameter is malformed (each named in ``errors``)."""

    detail = "The request body or parameters are malformed."


class InvalidParameter(InvalidInput):
    """A query parameter the request cannot be answered with (a proof's index or tree
    size outside the journal): 400, the parameter named in the field errors."""

    detail = "One or more query parameters are out of range."


class IdempotencyKeyReused(KspError):
    """An Idempotency-Key was sent again with a different request."""

    detail = "This Idempotency-Key was already used for a different request."


class RuleViolation(KspError):
    """A rule of the guide forbids the request."""


class RemandRequiresRadicalisationConcern(RuleViolation):
    """Guide 3.3.7: remand prisoners may only be exchanged in KSP with a radicalisation concern."""

    detail = (
        "Information about a remand prisoner may only be exchanged in KSP when there is "
        "a concern about radicalisation (guide 3.3.7)."
    )


class NotAuthenticated(KspError):
    """No bearer token, or one that fails verification in any way (one opaque error)."""

    detail = "A valid bearer token is required."


class Forbidden(KspError):
    """The caller's role may not perform this action."""

    detail = "Your role may not perform this action."


class CsrfTokenInvalid(Forbidden):
    """A state-changing browser request without its session's CSRF token."""

    detail = "A state-changing browser request needs the session's CSRF token."


class NotFound(KspError):
    """The resource does not exist or is not visible to the caller."""

    detail = "No such resource."


class Conflict(KspError):
    """The request conflicts with the resource's current state."""

    detail = "The request conflicts with the current state of the resource."


class InvalidStatusTransition(Conflict):
    """A case may only move from ``submitted`` to a triage outcome, once."""

    detail = "The case's status does not allow this change."


class NotLatestVersion(Conflict):
    """The caller did not act on the latest version of the KSP document."""

    detail = "This is not the latest version of the KSP document; reload it and try again."


class AlreadyCirculated(Conflict):
    """The version was circulated already; sending it again needs ``again`` and a reason."""

    detail = (
        "This version was already circulated; to send it again, say so with "
        '"again": true and a reason.'
    )


class RecipientKeyUnusable(RuleViolation):
    """Guide 3.3.7: to external parties the list goes only by secure mail; a key that is
    expired, revoked, cannot encrypt or does not fit the recipient cannot carry it."""

    detail = "A recipient's OpenPGP key or S/MIME certificate cannot be used for secure mail."

    def __init__(self, reason: str) -> None:
        super().__init__(f"{self.detail} ({reason})")


class JournalIntegrityError(KspError):
    """The journal's tip fails verification (a checkpoint not signed by the service, entries
    beyond it): the service refuses to append, so it never signs what it did not write."""

    detail = "The journal fails verification; changes are refused until it has been audited."


class JournalRolledBack(KspError):
    """A witness has cosigned a larger journal than the one stored, or one this journal does
    not extend: the database was rolled back or rewritten. Appending is refused until an
    operator has acted (README, "Witnesses"), so no different "version 3" is ever written."""

    detail = (
        "A witness shows the journal went backwards; changes are refused until an operator "
        "has restored the journal."
    )


class StorageUnavailable(KspError):
    """The database connection was lost or none could be had in time. The transaction was
    rolled back, so nothing of the request was kept: the client may safely retry."""

    detail = "The database is unavailable just now; nothing was saved. Try again shortly."


class TokenKeysUnavailable(KspError):
    """The identity provider's signing keys (its JWKS URL) could not be fetched, so no
    bearer token can be checked just now. Not the caller's fault: answered 503, not 401."""

    detail = "The identity provider's signing keys cannot be fetched just now. Try again shortly."


class CommitOutcomeUnknown(StorageUnavailable):
    """The connection was lost while the transaction was being committed: the database
    may have kept it or not. Only a retry with the same Idempotency-Key is safe blind."""

    detail = (
        "The database connection was lost while saving; the request may or may not have "
        "been saved. Check before repeating it, or repeat it with the same Idempotency-Key."
    )


class NotificationOmissionNeedsManager(RuleViolation):
    """Guide 3.3.7: leaving out telling the detainee should be discussed with the nearest
    manager first; the decision records why, with whom and when."""

    detail = (
        "Not telling the detainee needs the reason, the manager it was discussed with and "
        "the date (guide 3.3.7)."
    )


class MeetingStatusConflict(Conflict):
    """The meeting's status (planned, held, closed, cancelled) does not allow this."""

    detail = "The meeting's status does not allow this change."


class MeetingCancelled(MeetingStatusConflict):
    """A cancelled meeting takes no list change, outcome, attendance or circulation."""

    detail = "The meeting is cancelled."


class DuplicateOutcome(Conflict):
    """A case has one outcome per meeting; another needs ``corrects`` naming the current one."""

    detail = "The case already has an outcome at this meeting; a correction names it in corrects."


class RecipientExists(Conflict):
    """An e-mail address already registered (and not retired) in the caller's unit."""

    detail = (
        "A recipient with this e-mail address is registered in your unit already; "
        "replace its key or retire it instead."
    )


class Erased(KspError):
    """The record existed and was erased under the retention policy or a decision."""

    detail = "This record was erased; its content can no longer be read."


class SecondPersonRequired(Forbidden):
    """An erasure decision is countersigned by someone other than who asked for it."""

    detail = "An erasure must be countersigned by another person than the one who asked."


class ErasureAlreadyDecided(Conflict):
    """The erasure request was countersigned already."""

    detail = "This erasure request has been carried out already."


class PrintFailed(KspError):
    """The PDF of a document could not be made within its limits (size, time, workers
    busy). ``reason`` is fixed text for the log; the client gets the fixed detail."""

    detail = "The PDF of the document could not be made just now; try again shortly."

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason
