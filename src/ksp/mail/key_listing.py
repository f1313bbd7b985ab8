"""gpg's colon listing of one key (``--with-colons --check-sigs``) read into a
:class:`~ksp.mail.key_policy.KeyListing`; pure, no gpg here.

The fields used (GnuPG's doc/DETAILS): 2 validity, 3 key length, 4 public-key algorithm,
5 key ID, 6 creation, 7 expiry, 10 user ID (or fingerprint in ``fpr``), 11 signature class,
12 capabilities, 16 the signature's hash algorithm, 17 the curve. Only signatures gpg
verified (``!``) that the primary key made to bind a user ID, a subkey or itself count as
binding signatures; those of revoked user IDs and subkeys do not (they bind nothing used).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from ksp.mail.key_policy import KeyListing, KeyPart

__all__ = ["parse_listing"]

_ESCAPE = re.compile(rb"\\x([0-9A-Fa-f]{2})")
_BINDING_CLASSES = {"10", "11", "12", "13", "18", "1f"}


def parse_listing(colons: bytes, fingerprint: str) -> KeyListing | None:
    """The key whose primary fingerprint is ``fingerprint`` in ``colons``, if there is one."""
    blocks = _blocks([line.split(b":") for line in colons.splitlines()])
    found = [block for block in blocks if _fingerprint_of(block) == fingerprint]
    return _listing(found[0], fingerprint) if len(found) == 1 else None


def _blocks(records: list[list[bytes]]) -> list[list[list[str]]]:
    """The records grouped per primary key (each group starts with its ``pub``)."""
    blocks: list[list[list[str]]] = []
    for record in records:
        fields = [_text(field) for field in record] + [""] * 20
        if fields[0] == "pub":
            blocks.append([])
        if blocks:
            blocks[-1].append(fields)
    return blocks


def _fingerprint_of(block: list[list[str]]) -> str | None:
    return block[1][9] if len(block) > 1 and block[1][0] == "fpr" else None


def _listing(block: list[list[str]], fingerprint: str) -> KeyListing:
    primary = _part(block[0])
    key_id = block[0][4]
    subkeys: list[KeyPart] = []
    user_ids: list[str] = []
    hashes: list[int] = []
    binds = True  # whether the signatures that follow belong to something in use
    for fields in block[1:]:
        kind = fields[0]
        if kind == "uid":
            binds = fields[1] != "r"
            if binds:
                user_ids.append(fields[9])
        elif kind == "sub":
            subkeys.append(_part(fields))
            binds = fields[1] != "r"
        elif kind == "sig" and binds and _binds(fields, key_id):
            hashes.append(_number(fields[15]))
    return KeyListing(fingerprint, primary, tuple(subkeys), tuple(user_ids), tuple(hashes))


def _binds(fields: list[str], key_id: str) -> bool:
    """A verified self-signature binding a user ID, a subkey or the key itself."""
    return fields[1] == "!" and fields[4] == key_id and fields[10][:2] in _BINDING_CLASSES


def _part(fields: list[str]) -> KeyPart:
    return KeyPart(
        validity=fields[1],
        capabilities=fields[11],
        expires=_time(fields[6]),
        created=_time(fields[5]),
        algorithm=_number(fields[3]),
        bits=_number(fields[2]),
        curve=fields[16],
    )


def _time(field: str) -> datetime | None:
    return datetime.fromtimestamp(int(field), UTC) if field.isdigit() else None


def _number(field: str) -> int:
    return int(field) if field.isdigit() else 0


def _text(field: bytes) -> str:
    """A field with gpg's ``\\xNN`` escapes undone, as UTF-8 (user IDs are)."""
    raw = _ESCAPE.sub(lambda match: bytes([int(match.group(1), 16)]), field)
    return raw.decode("utf-8", errors="replace")
