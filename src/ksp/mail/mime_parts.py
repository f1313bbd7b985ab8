"""The inner message every mail carries (a circulation's, a cancellation notice's), whatever
envelope wraps it: the one place a :class:`~ksp.domain.circulation.CirculationContent`
becomes MIME.

A ``multipart/mixed; protected-headers="v1"`` entity whose own Subject, From, To,
Message-ID and Date are the real ones (as mail clients that support protected headers show
them), with the rendered document as ``text/html``, its canonical JSON as an
``application/json`` attachment and, when there are, its PDF/A as ``application/pdf``
(both in base64, so their bytes arrive exactly), the meeting's invitation as
``text/calendar`` and the version's ``tlog-proof@v1`` receipt as
``application/x.tlog-proof`` (base64, so that no mail system rewrites its line endings: the
checkpoint's signatures cover its exact bytes; named as the JSON, ``.tlog-proof`` for
``.json``, so the recipient keeps both side by side and checks them with
``ksp journal verify-receipt``). The envelopes (:mod:`ksp.mail.pgpmime`,
:mod:`ksp.mail.smime`) sign and encrypt its CRLF bytes for one recipient and put only
transport headers and a neutral subject outside.

Every header value is checked before it is set (:func:`ksp.domain.text.header_problem`:
no line break of any kind, no RFC 2047 encoded word, which the header parser would decode
into a raw CRLF, no control or hidden character) and again after the parser took it: it must
read back exactly as given. The policy raises on any defect. A value that fails raises
:class:`HeaderRefused` and no message is built.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import datetime
from email import policy
from email.errors import MessageError
from email.message import MIMEPart
from email.utils import format_datetime

from ksp.domain.circulation import CirculationContent
from ksp.domain.text import header_problem

__all__ = [
    "POLICY",
    "RECEIPT_TYPE",
    "HeaderRefused",
    "headers_of",
    "inner_bytes",
    "outer_part",
    "receipt_name",
    "set_header",
]

# CRLF line endings, headers folded at 78 characters, bodies never folded; building raises
# on any defect the header parser finds.
POLICY = policy.SMTP.clone(raise_on_defect=True)
RECEIPT_TYPE = "application/x.tlog-proof"


class HeaderRefused(ValueError):
    """A header value that could break out of its header; ``header`` names which."""

    def __init__(self, header: str, problem: str) -> None:
        super().__init__(f"the {header} header {problem}")
        self.header = header


def headers_of(*, sender: str, recipient: str, message_id: str, date: datetime) -> dict[str, str]:
    """The headers the inner and the outer message share."""
    if date.tzinfo is None:
        raise ValueError("the date must be an aware datetime")
    return {
        "From": sender,
        "To": recipient,
        "Date": format_datetime(date),
        "Message-ID": message_id,
    }


def outer_part(headers: Mapping[str, str], outer_subject: str) -> MIMEPart:
    """The envelope's outside: the transport ``headers`` and a neutral subject, checked."""
    outer = MIMEPart(policy=POLICY)
    for name, value in {**headers, "Subject": outer_subject, "MIME-Version": "1.0"}.items():
        set_header(outer, name, value)
    return outer


def set_header(part: MIMEPart, name: str, value: str) -> None:
    """Set one header, refusing a value that is not exactly one header's worth of text."""
    if problem := header_problem(value):
        raise HeaderRefused(name, problem)
    try:
        part[name] = value
    except (ValueError, LookupError, MessageError):  # a defect, or the parser failing
        raise HeaderRefused(name, "is not well formed") from None
    parsed = str(part[name])
    if parsed != value or header_problem(parsed):
        raise HeaderRefused(name, "does not read back as it was given")


def inner_bytes(headers: Mapping[str, str], content: CirculationContent) -> bytes:
    """The inner message as CRLF bytes: what an envelope signs and encrypts. ``headers``
    are the transport ones (:func:`headers_of`); the real Subject is the content's.

    The parts are the same for every recipient of a circulation, so they are encoded once
    (the email package's quoted-printable and base64 are slow) and only each recipient's
    headers are written anew.
    """
    top = MIMEPart(policy=POLICY)
    for name, value in {"Subject": content.subject, **headers}.items():
        set_header(top, name, value)
    head = top.as_bytes(policy=POLICY)
    if not head.endswith(b"\r\n\r\n"):
        raise ValueError("the inner headers did not end as expected")
    return head[:-2] + _encoded_parts(content)


@functools.lru_cache(maxsize=2)  # the circulations being sealed now; kept in memory only
def _encoded_parts(content: CirculationContent) -> bytes:
    """The multipart entity alone (its Content-Type, a blank line, the parts): the HTML
    document, its JSON and PDF as attachments in base64, the invitation and the receipt if
    there are."""
    parts = MIMEPart(policy=POLICY)
    parts.set_content(content.html, subtype="html", charset="utf-8", cte="quoted-printable")
    parts.add_attachment(
        content.json, "application", "json", cte="base64", filename=content.json_name
    )
    if content.pdf is not None:
        parts.add_attachment(
            content.pdf, "application", "pdf", cte="base64", filename=content.pdf_name
        )
    if content.calendar is not None:
        _add_invitation(parts, content.calendar)
    if content.receipt is not None:
        maintype, subtype = RECEIPT_TYPE.split("/")
        parts.add_attachment(
            content.receipt.encode("utf-8"),
            maintype,
            subtype,
            cte="base64",
            filename=receipt_name(content.json_name),
        )
    parts.set_param("protected-headers", "v1")
    return parts.as_bytes(policy=POLICY)


def receipt_name(json_name: str) -> str:
    """The receipt's file name: the document's, ``.tlog-proof`` for ``.json``."""
    return json_name.removesuffix(".json") + ".tlog-proof"


def _add_invitation(inner: MIMEPart, calendar: bytes) -> None:
    """The invitation as ``text/calendar; method=…`` (REQUEST, or CANCEL once cancelled),
    the part mail clients show as a meeting invitation."""
    method = "CANCEL" if b"METHOD:CANCEL" in calendar else "REQUEST"
    inner.add_attachment(
        calendar.decode("utf-8"),
        subtype="calendar",
        charset="utf-8",
        cte="quoted-printable",
        filename="invitation.ics",
        params={"method": method},
    )
