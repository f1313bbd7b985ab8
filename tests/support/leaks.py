"""Raw scans for personal data: every form a value could take in bytes written somewhere.

A value is looked for as itself and in the forms a store, a log or a mail could give it:
UTF-8, UTF-16-LE, Latin-1, ``\\uXXXX``-escaped JSON (structlog's ``ensure_ascii``), lower-case
hex (PostgreSQL's ``bytea`` output) and base64 at each of the three byte alignments (with the
group that mixes in neighbouring bytes dropped). Names are also looked for case-folded,
upper-cased and in NFD. A finding names the value, the form and the source, so a failure
says where to look.
"""

from __future__ import annotations

import base64
import email.header
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email import message_from_bytes
from email.message import Message
from pathlib import Path

__all__ = [
    "Finding",
    "PersonalData",
    "byte_needles",
    "cpr_forms",
    "files_under",
    "find_leaks",
    "find_needles",
    "mail_views",
    "needles",
    "sql_lines",
]

_MIN_BASE64_CORE = 8  # shorter cores could turn up by chance in ciphertext


@dataclass(frozen=True)
class Finding:
    value: str
    form: str
    source: str

    def __str__(self) -> str:
        return f"{self.value!r} ({self.form}) in {self.source}"


@dataclass
class PersonalData:
    """What a scenario submitted: CPR numbers (either form), names and free texts."""

    cprs: set[str]
    names: set[str]
    texts: set[str]

    def values(self) -> dict[str, list[str]]:
        """Each value to look for → its text forms."""
        found: dict[str, list[str]] = {}
        for cpr in self.cprs:
            for form in cpr_forms(cpr):
                found[form] = [form]
        for name in self.names:
            found[name] = _name_forms(name)
        for text in self.texts:
            found[text] = _unique([text, unicodedata.normalize("NFD", text)])
        return found


def cpr_forms(cpr: str) -> list[str]:
    """``DDMMYYSSSS`` and ``DDMMYY-SSSS``."""
    digits = cpr.replace("-", "")
    return [digits, f"{digits[:6]}-{digits[6:]}"]


def _name_forms(name: str) -> list[str]:
    cased = [name, name.casefold(), name.upper()]
    return _unique(cased + [unicodedata.normalize("NFD", c) for c in cased])


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def needles(text: str) -> dict[bytes, str]:
    """The byte forms of one text form → the form's label."""
    utf8 = text.encode()
    forms = [
        (utf8, "utf-8"),
        (text.encode("utf-16-le"), "utf-16-le"),
        (json.dumps(text)[1:-1].encode(), "json-escaped"),
        (utf8.hex().encode(), "hex"),
    ]
    if all(ord(c) < 256 for c in text):
        forms.append((text.encode("latin-1"), "latin-1"))
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + utf8)
        whole = (shift + len(utf8)) // 3 * 4  # the chars of complete groups only
        core = encoded[4 if shift else 0 : whole]
        if len(core) >= _MIN_BASE64_CORE:
            forms.append((core, f"base64/{shift}"))
    found: dict[bytes, str] = {}
    for needle, label in forms:
        found.setdefault(needle, label)
    return found


def byte_needles(value: bytes) -> dict[bytes, str]:
    """The forms a binary value (a keyed CPR hash) takes in a log or a dump: raw, hex in
    either case (also PostgreSQL's ``\\x`` bytea form), Python's ``repr`` (how SQLAlchemy
    logs a parameter), and standard and URL-safe base64 (padded and not)."""
    standard = base64.b64encode(value)
    forms = [
        (value, "raw"),
        (value.hex().encode(), "hex"),
        (value.hex().upper().encode(), "upper-case hex"),
        (repr(value)[2:-1].encode(), "python repr"),
        (json.dumps(repr(value))[3:-2].encode(), "json-escaped python repr"),
        (standard, "base64"),
        (standard.rstrip(b"="), "unpadded base64"),
        (base64.urlsafe_b64encode(value).rstrip(b"="), "url-safe base64"),
    ]
    found: dict[bytes, str] = {}
    for needle, label in forms:
        found.setdefault(needle, label)
    return found


def find_needles(
    sources: Mapping[str, bytes], values: Mapping[str, Mapping[bytes, str]]
) -> list[Finding]:
    """Each labelled value whose needle (any of its forms) is in a source."""
    return [
        Finding(value, form, source)
        for value, forms in values.items()
        for needle, form in forms.items()
        for source, blob in sources.items()
        if needle in blob
    ]


_SQL = re.compile(
    r"\b(SELECT\b.+\bFROM|INSERT\s+INTO|UPDATE\b.+\bSET|DELETE\s+FROM|BEGIN\s*(IMMEDIATE)?$"
    r"|COMMIT$|ROLLBACK$|PRAGMA\s|CREATE\s+TABLE|\[(generated|cached) in)",
    re.IGNORECASE | re.DOTALL,
)
_DATABASE_LOGGERS = ("sqlalchemy", "aiosqlite", "asyncpg")


def sql_lines(log: bytes) -> list[str]:
    """The JSON log lines that come from a database library or whose event reads as SQL:
    a statement, a transaction verb, or SQLAlchemy's parameter line."""
    found = []
    for line in log.decode("utf-8", "replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:  # not ours: a handler of its own, as ``echo=True`` adds
            record = {"event": line, "logger": "sqlalchemy" if "sqlalchemy" in line else ""}
        if not isinstance(record, dict):
            continue
        logger = str(record.get("logger", ""))
        event = str(record.get("event", ""))
        if logger.startswith(_DATABASE_LOGGERS) or _SQL.search(event.strip()):
            found.append(line)
    return found


def find_leaks(sources: Mapping[str, bytes], data: PersonalData) -> list[Finding]:
    """Every value of ``data`` found in any form in any source (empty: nothing leaks)."""
    findings = []
    for value, forms in data.values().items():
        for form in forms:
            label = "" if form == value else f"{_form_name(value, form)}, "
            for needle, encoding in needles(form).items():
                findings += [
                    Finding(value, label + encoding, source)
                    for source, blob in sources.items()
                    if needle in blob
                ]
    return findings


def _form_name(value: str, form: str) -> str:
    if unicodedata.normalize("NFC", form) == value:
        return "NFD"
    if form.casefold() == form:
        return "case-folded"
    return "upper-cased"


def files_under(*roots: Path, label: str = "") -> dict[str, bytes]:
    """Every regular file below the roots (sockets and the like skipped), by path."""
    found = {}
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.is_symlink():
                found[f"{label}{path}"] = path.read_bytes()
    return found


def mail_views(name: str, raw: bytes) -> dict[str, bytes]:
    """A message as raw bytes, its decoded headers and each decoded leaf part: base64,
    quoted-printable or RFC 2047 would hide a value from a scan of the raw bytes alone."""
    message = message_from_bytes(raw)
    views = {f"{name} (raw)": raw, f"{name} (headers)": _decoded_headers(message)}
    for number, part in enumerate(message.walk()):
        if not part.is_multipart():
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                views[f"{name} (part {number}, {part.get_content_type()})"] = payload
    return views


def _decoded_headers(message: Message) -> bytes:
    lines = []
    for part in message.walk():
        for key, value in part.items():
            decoded = email.header.make_header(email.header.decode_header(str(value)))
            lines.append(f"{key}: {decoded}")
    return "\n".join(lines).encode()
