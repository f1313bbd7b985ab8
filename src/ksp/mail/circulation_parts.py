"""The inside of a circulation mail, the same whatever envelope seals it.

:func:`circulation_entity` builds it: a ``multipart/mixed; protected-headers="v1"`` entity
whose own Subject, From, To, Message-ID and Date are the real ones (as mail clients that
support protected headers show them), with the document as ``text/html``, its canonical
JSON as an ``application/json`` attachment and its PDF/A as ``application/pdf`` (both in
base64, so their bytes arrive exactly), and the meeting's invitation as ``text/calendar``.
The envelope (PGP/MIME in :mod:`ksp.mail.pgpmime`) serialises it with CRLF line endings and
encrypts it to one recipient.

Every header value is checked before it is set (:func:`ksp.domain.text.header_problem`:
no line break of any kind, no RFC 2047 encoded word, which the header parser would decode
into a raw CRLF, no control or hidden character) and again after the parser took it: it must
read back exactly as given. The policy raises on any defect. A value that fails raises
:class:`HeaderRefused` and no message is built.
"""

from __future__ import annotations

from collections.abc import Mapping
from email import policy
from email.errors import MessageError
from email.message import MIMEPart

from ksp.domain.circulation import CirculationContent
from ksp.domain.text import header_problem

__all__ = ["MIME_POLICY", "HeaderRefused", "circulation_entity", "set_header"]

# CRLF line endings, headers folded at 78 characters, bodies never folded; building raises
# on any defect the header parser finds.
MIME_POLICY = policy.SMTP.clone(raise_on_defect=True)


class HeaderRefused(ValueError):
    """A header value that could break out of its header; ``header`` names which."""

    def __init__(self, header: str, problem: str) -> None:
        super().__init__(f"the {header} header {problem}")
        self.header = header


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


def circulation_entity(headers: Mapping[str, str], content: CirculationContent) -> MIMEPart:
    """The inner entity of one recipient's mail: ``headers`` (From, To, Date, Message-ID)
    with the real Subject, then the document's parts."""
    inner = MIMEPart(policy=MIME_POLICY)
    for name, value in {"Subject": content.subject, **headers}.items():
        set_header(inner, name, value)
    inner.set_content(content.html, subtype="html", charset="utf-8", cte="quoted-printable")
    inner.add_attachment(
        content.json, "application", "json", cte="base64", filename=content.json_name
    )
    if content.pdf is not None:
        inner.add_attachment(
            content.pdf, "application", "pdf", cte="base64", filename=content.pdf_name
        )
    if content.calendar is not None:
        _add_invitation(inner, content.calendar)
    inner.set_param("protected-headers", "v1")
    return inner


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
