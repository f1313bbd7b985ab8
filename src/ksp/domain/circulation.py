"""Recipients and the circulation of a KSP list (guide 3.3.7).

"KiF-repræsentanten har ansvar for - inden et KSP-møde - at rundsende listen til mødets
deltagere ... Til eksterne samarbejdsparter skal dette ske via sikker mail."
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, replace
from enum import StrEnum

from ksp.domain.errors import AlreadyCirculated, FieldError, InvalidInput
from ksp.domain.text import address_problem, line_problem, text_problem

__all__ = [
    "MAX_ATTEMPTS",
    "Agency",
    "CirculationContent",
    "Delivery",
    "DeliveryMode",
    "DeliveryStatus",
    "KeyFormat",
    "Notice",
    "Recipient",
    "RecipientDraft",
    "RecipientStatus",
    "after_failure",
    "after_success",
    "backoff",
    "check_circulation",
    "check_fingerprint",
    "check_recipient",
    "comparable_address",
]

MAX_ATTEMPTS = 8
MAX_NAME = 200
MAX_REASON = 2000
BACKOFF_BASE = dt.timedelta(seconds=30)
BACKOFF_CAP = dt.timedelta(hours=1)


class Agency(StrEnum):
    KF = "kf"
    MUNICIPALITY = "municipality"
    POLICE = "police"


class DeliveryStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    RETRYING = "retrying"
    FAILED = "failed"


class KeyFormat(StrEnum):
    """How mail to a recipient is encrypted: to their OpenPGP key (PGP/MIME, RFC 3156) or
    to their X.509 certificate (S/MIME, RFC 8551)."""

    OPENPGP = "openpgp"
    SMIME = "smime"


class DeliveryMode(StrEnum):
    """What a recipient's mail holds: the document, signed and encrypted to their key
    (``encrypted``), or a signed notice without personal data that a version is ready, with
    a link to where participants read it (``notice``; then a key is optional)."""

    ENCRYPTED = "encrypted"
    NOTICE = "notice"


class RecipientStatus(StrEnum):
    """``blocked``: the owner revoked the pinned key, and no usable key replaced it yet;
    ``retired``: kept for history, never circulated to again."""

    ACTIVE = "active"
    BLOCKED = "blocked"
    RETIRED = "retired"


@dataclass(frozen=True, slots=True)
class RecipientDraft:
    name: str
    email: str
    agency: Agency
    unit: str
    key: str | None  # an armoured OpenPGP public key, or a PEM certificate
    fingerprint: str | None
    key_format: KeyFormat = KeyFormat.OPENPGP
    delivery: DeliveryMode = DeliveryMode.ENCRYPTED


@dataclass(frozen=True, slots=True)
class Recipient:
    """A participant's mail address and the OpenPGP key or X.509 certificate pinned to it
    by fingerprint (an OpenPGP v4 fingerprint, or the SHA-256 of the certificate's DER;
    empty for a notice recipient who gave no key)."""

    id: str
    kif_unit: str
    name: str
    email: str
    agency: Agency
    unit: str
    fingerprint: str
    expires_at: dt.datetime | None
    created_at: dt.datetime
    created_by_sub: str
    key_revoked: bool = False
    retired_at: dt.datetime | None = None
    key_format: KeyFormat = KeyFormat.OPENPGP
    delivery: DeliveryMode = DeliveryMode.ENCRYPTED

    @property
    def status(self) -> RecipientStatus:
        if self.retired_at is not None:
            return RecipientStatus.RETIRED
        return RecipientStatus.BLOCKED if self.key_revoked else RecipientStatus.ACTIVE


@dataclass(frozen=True, slots=True)
class Notice:
    """What a notice recipient's signed mail says instead (no personal data): a neutral
    subject, a Danish text, and the link to the page where participants read the version
    (ids only)."""

    subject: str
    text: str
    link: str


@dataclass(frozen=True, slots=True)
class CirculationContent:
    """What one mail holds inside its envelope, whatever the envelope (PGP/MIME or S/MIME),
    a circulation's or a cancellation notice's: the real subject, the document as HTML, its
    canonical JSON (for a version, the JSON whose SHA-256 is its ``sha256``), and when there
    are its PDF, the meeting's invitation (issue 8) and the version's C2SP
    ``tlog-proof@v1`` receipt (issue 15)."""

    subject: str
    html: str
    json_name: str
    json: bytes
    pdf_name: str | None = None
    pdf: bytes | None = None
    calendar: bytes | None = None
    receipt: str | None = None
    notice: Notice | None = None  # for the notice recipients (``DeliveryMode.NOTICE``)


def comparable_address(address: str) -> str | None:
    """``address`` in the form addresses are compared in (NFKC, then lower case), or None if
    NFKC changes it: a look-alike such as the Kelvin sign (U+212A, which ``casefold()`` and
    NFKC both turn into ``k``) never matches the letter it imitates."""
    if unicodedata.normalize("NFKC", address) != address:
        return None
    return address.lower()


def check_recipient(draft: RecipientDraft) -> None:
    errors = []
    if not draft.name.strip() or len(draft.name) > MAX_NAME:
        errors.append(FieldError("name", f"must be 1 to {MAX_NAME} characters"))
    elif problem := line_problem(draft.name):
        errors.append(FieldError("name", problem))
    if comparable_address(draft.email) is None:
        errors.append(FieldError("email", "changes under Unicode normalisation (NFKC)"))
    elif problem := address_problem(draft.email):
        errors.append(FieldError("email", problem))
    errors += check_fingerprint(draft.fingerprint, draft.key_format)
    if draft.key is None and draft.delivery is DeliveryMode.ENCRYPTED:
        errors.append(FieldError("openpgp_key", "give either openpgp_key or certificate"))
    if errors:
        raise InvalidInput(errors)


def check_fingerprint(
    fingerprint: str | None, key_format: KeyFormat = KeyFormat.OPENPGP
) -> list[FieldError]:
    """The problem with a fingerprint confirmed out of band, if it is not a full one: 40 hex
    digits for an OpenPGP key, 64 (SHA-256 of the DER) for a certificate."""
    digits = 64 if key_format is KeyFormat.SMIME else 40
    if fingerprint is not None and not re.fullmatch(
        f"[0-9A-Fa-f]{{{digits}}}", fingerprint.replace(" ", "")
    ):
        return [FieldError("fingerprint", f"must be a full {digits}-hex-digit fingerprint")]
    return []


def check_circulation(*, circulated_before: bool, again: bool, reason: str | None) -> None:
    """A version goes out once; sending it again is done on purpose, with a reason.

    Guide 3.3.7 asks KiF to circulate the list before the meeting; a second identical
    mail to every participant is no part of that unless someone decided it (a participant
    lost the first, a key was replaced) and the decision is recorded.
    """
    if reason is not None and not again:
        raise InvalidInput([FieldError("again", "must be true when a reason is given")])
    if again:
        if reason is None or not reason.strip() or len(reason) > MAX_REASON:
            raise InvalidInput([FieldError("reason", f"must be 1 to {MAX_REASON} characters")])
        if problem := text_problem(reason):
            raise InvalidInput([FieldError("reason", problem)])
    elif circulated_before:
        raise AlreadyCirculated


@dataclass(frozen=True, slots=True)
class Delivery:
    """One encrypted message to one recipient, and how its delivery went: of a circulation,
    or (``circulation_id`` None) of a meeting's cancellation notice."""

    id: str
    circulation_id: str | None
    recipient_id: str
    email: str
    fingerprint: str
    message_id: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: dt.datetime
    last_error: str | None = None
    sent_at: dt.datetime | None = None


def backoff(attempts: int) -> dt.timedelta:
    """30 s, 1 min, 2 min, … up to an hour between attempts."""
    delay: dt.timedelta = BACKOFF_BASE * 2 ** max(attempts - 1, 0)
    return min(delay, BACKOFF_CAP)


def after_success(delivery: Delivery, now: dt.datetime) -> Delivery:
    return replace(
        delivery,
        status=DeliveryStatus.SENT,
        attempts=delivery.attempts + 1,
        sent_at=now,
        last_error=None,
    )


def after_failure(
    delivery: Delivery, *, permanent: bool, reason: str, now: dt.datetime
) -> Delivery:
    """A permanent failure, or too many temporary ones, ends as ``failed``; else retry."""
    attempts = delivery.attempts + 1
    if permanent or attempts >= MAX_ATTEMPTS:
        return replace(
            delivery, status=DeliveryStatus.FAILED, attempts=attempts, last_error=reason[:200]
        )
    return replace(
        delivery,
        status=DeliveryStatus.RETRYING,
        attempts=attempts,
        last_error=reason[:200],
        next_attempt_at=now + backoff(attempts),
    )
