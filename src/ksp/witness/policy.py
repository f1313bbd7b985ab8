"""C2SP ``tlog-policy`` files, and checking a cosigned checkpoint against one.

::

    log <vkey> [<url>]
    witness <name> <vkey> [<url>]
    group <name> all|any|<k> <name>...
    quorum <name>|none

A group or the quorum names only what earlier lines defined; each name is a member at
most once per group; there is exactly one quorum line. :func:`check_cosigned` says whether
a checkpoint note is signed by the policy's log and cosigned by a quorum of its witnesses.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ksp.journal.checkpoint import Checkpoint, InvalidCheckpoint, verify_checkpoint
from ksp.witness.cosignature import note_body, signature_lines, verify_cosignature
from ksp.witness.vkey import (
    ED25519,
    ED25519_COSIGNATURE,
    InvalidVerifierKey,
    VerifierKey,
    parse_vkey,
)

__all__ = [
    "Cosigned",
    "InvalidPolicy",
    "NotCosigned",
    "Policy",
    "Witness",
    "check_cosigned",
    "parse_policy",
]

_MAX_ITEMS = 32
_ALLOWED = re.compile("[\t\n\x20-\x7e\x80-\U0010ffff]*")
NONE = "none"


class InvalidPolicy(ValueError):
    """A policy file that is not a valid tlog-policy; the message names the line number."""


class NotCosigned(Exception):
    """A checkpoint that the policy's log did not sign, or that carries a forged cosignature."""


@dataclass(frozen=True, slots=True)
class Witness:
    name: str
    vkey: VerifierKey
    url: str | None


@dataclass(frozen=True, slots=True)
class _Group:
    threshold: int
    members: tuple[str, ...]


@dataclass(frozen=True)
class Policy:
    logs: tuple[VerifierKey, ...]
    witnesses: Mapping[str, Witness]
    groups: Mapping[str, _Group] = field(default_factory=dict)
    quorum: str = NONE
    text: str = ""  # the file it was read from, as an export bundle carries it

    def satisfied_by(self, cosigners: set[str]) -> bool:
        """Whether the witnesses named in ``cosigners`` make the quorum."""
        return self._holds(self.quorum, cosigners)

    def _holds(self, name: str, cosigners: set[str]) -> bool:
        if name == NONE:
            return True
        if name in self.witnesses:
            return name in cosigners
        group = self.groups[name]
        met = sum(1 for member in group.members if self._holds(member, cosigners))
        return met >= group.threshold

    def log_for(self, origin: str) -> VerifierKey | None:
        return next((log for log in self.logs if log.name == origin), None)


@dataclass(frozen=True, slots=True)
class Cosigned:
    checkpoint: Checkpoint
    cosigners: frozenset[str]
    quorum: bool
    timestamps: Mapping[str, int]


def parse_policy(text: str) -> Policy:  # noqa: C901, PLR0912 - one branch per line kind
    if not _ALLOWED.fullmatch(text):
        raise InvalidPolicy("the policy holds a control character other than tab and newline")
    logs: list[VerifierKey] = []
    witnesses: dict[str, Witness] = {}
    groups: dict[str, _Group] = {}
    quorum: str | None = None
    for number, raw in enumerate(text.split("\n"), start=1):
        words = raw.split()
        if not words or words[0].startswith("#"):
            continue
        keyword, args = words[0], words[1:]
        try:
            if keyword == "log" and len(args) in (1, 2):
                logs.append(parse_vkey(args[0], ED25519))
            elif keyword == "witness" and len(args) in (2, 3):
                name = args[0]
                if name == NONE or name in witnesses or name in groups:
                    raise InvalidPolicy(f"line {number}: the name is already defined")
                url = args[2] if len(args) == 3 else None
                witnesses[name] = Witness(name, parse_vkey(args[1], ED25519_COSIGNATURE), url)
            elif keyword == "group" and len(args) >= 3:
                name = args[0]
                if name == NONE or name in witnesses or name in groups:
                    raise InvalidPolicy(f"line {number}: the name is already defined")
                groups[name] = _group(number, args[1], args[2:], witnesses, groups)
            elif keyword == "quorum" and len(args) == 1 and quorum is None:
                if args[0] != NONE and args[0] not in witnesses and args[0] not in groups:
                    raise InvalidPolicy(f"line {number}: the quorum names nothing defined")
                quorum = args[0]
            else:
                raise InvalidPolicy(f"line {number}: not a log, witness, group or quorum line")
        except InvalidVerifierKey as exc:
            raise InvalidPolicy(f"line {number}: {exc}") from None
    if quorum is None:
        raise InvalidPolicy("a policy has exactly one quorum line")
    if max(len(logs), len(witnesses), len(groups)) > _MAX_ITEMS:
        raise InvalidPolicy(f"at most {_MAX_ITEMS} logs, witnesses and groups")
    keys = [log.public_key for log in logs] + [w.vkey.public_key for w in witnesses.values()]
    if len(set(keys)) != len(keys):
        raise InvalidPolicy("a key is listed twice")
    return Policy(tuple(logs), witnesses, groups, quorum, text)


def _group(
    number: int,
    threshold: str,
    members: Sequence[str],
    witnesses: Mapping[str, Witness],
    groups: Mapping[str, _Group],
) -> _Group:
    if len(set(members)) != len(members):
        raise InvalidPolicy(f"line {number}: a group lists a member twice")
    if any(m not in witnesses and m not in groups for m in members):
        raise InvalidPolicy(f"line {number}: a group names something not defined before it")
    if threshold == "all":
        k = len(members)
    elif threshold == "any":
        k = 1
    elif re.fullmatch("[1-9][0-9]{0,2}", threshold):
        k = int(threshold)
    else:
        raise InvalidPolicy(f"line {number}: a threshold is all, any or a number")
    if not 1 <= k <= len(members):
        raise InvalidPolicy(f"line {number}: the threshold must be between 1 and the members")
    return _Group(k, tuple(members))


def check_cosigned(note: str, policy: Policy) -> Cosigned:
    """Which of the policy's witnesses validly cosigned ``note``, and whether they make the
    quorum. :class:`NotCosigned` if no log of the policy signed it, or if a cosignature under
    a policy witness's name and key ID does not verify (forged or damaged). Cosignatures of
    keys not in the policy are ignored, as the spec requires."""
    origin = note.split("\n", 1)[0]
    log = policy.log_for(origin)
    if log is None:
        raise NotCosigned("no log of the policy has this checkpoint's origin")
    try:
        checkpoint = verify_checkpoint(note, public_key=log.public_key, origin=log.name)
    except InvalidCheckpoint:
        raise NotCosigned("the checkpoint is not signed by the policy's log") from None
    body, lines = note_body(note), signature_lines(note)
    timestamps: dict[str, int] = {}
    for witness in policy.witnesses.values():
        for line in lines:
            try:
                stamp = verify_cosignature(line, body, witness.vkey)
            except ValueError:
                raise NotCosigned("a cosignature does not verify") from None
            if stamp is not None:
                timestamps[witness.name] = stamp
    cosigners = frozenset(timestamps)
    return Cosigned(checkpoint, cosigners, policy.satisfied_by(set(cosigners)), timestamps)
