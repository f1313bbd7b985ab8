"""Circulating one version of a KSP list to 30 recipients, end to end, through HTTP.

Setup: an SMTP server on loopback (``tests/support/smtp.py``: aiosmtpd, STARTTLS and AUTH
required, a CA of its own) and a real ``ksp serve`` whose in-process outbox worker delivers
there (``KSP_SMTP_HOST=127.0.0.1``, ``KSP_SMTP_TLS=starttls``, ``KSP_SMTP_CA_FILE``, a user
and password, ``KSP_MAIL_FROM``); its signing key is made before it serves, with ``ksp mail
key``, as an operator does to publish it. ``recipients`` OpenPGP keys (ed25519 with a
cv25519 encryption subkey, made once by gpg and used on every backend) are registered
(``POST /recipients``: checked in a scratch keyring, pinned) and added as participants of
one meeting whose list holds ``persons`` remand cases.

Each round makes a new version (one person swapped for a spare, untimed), fetches its PDF
once (``Accept: application/pdf``, timed as ``print``: the same printing the circulation
does) and circulates it: ``POST /documents/{id}/versions/{n}/circulate``. That call checks
every participant's key (one gpg listing), renders the version and prints its PDF/A,
encrypts and signs one PGP/MIME message per recipient (gpg, four at a time) and queues
them, in one transaction, and answers 202. The commit wakes the in-process worker at once
(it polls every 2 s besides, for retries), which sends them over one STARTTLS + AUTH
connection, in batches of 10 claimed at a time. Timed per round, on this process's clock
(the SMTP server runs in a thread here and stamps what arrives):

- ``circulate``: the call, from the request until the 202;
- ``print``: the version's PDF fetched before it, from the request to the last byte;
- ``first_delivered``: from the 202 until the first of the round's messages arrived;
- ``delivery``: from the 202 until the last of the round's messages arrived (all 30
  delivered; target p50 300 ms, issue 11);
- ``end_to_end``: ``circulate + delivery``;
- ``idle_wait``: from the 202 until the worker's first EHLO: the rest of its 2 s sleep;
- ``sending``: from that first EHLO until the last message arrived;
- ``end_to_end_minus_idle``: ``end_to_end - idle_wait``, i.e. ``circulate + sending``.

Next to it, in the same run and after each round: ``bare``, 30 sequential python-gnupg
``encrypt(payload, fingerprint, sign=signer, always_trust=True)`` calls in a keyring that
holds the 30 public keys and one signing key, over the very bytes the service encrypts (the
inner MIME entity of a message of this run, decrypted with the recipient's key: the
rendered HTML, the JSON and the PDF of the version). The target: ``circulate`` within
1.5x ``bare``; as the call now prints the PDF too (which ``bare`` does not),
``ratio_circulate_minus_print_to_bare`` is the gpg path's own ratio.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import sys
import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gnupg
import httpx
import msgspec

from harness import (
    HOST,
    REQUEST_TIMEOUT_S,
    Backend,
    BenchError,
    HttpConnection,
    Server,
    ksp,
    log_tail,
    request_head,
)
from ksp.mail.pgpmime import read_encrypted_message
from list_version import cases_for_meeting, expect, new_meeting
from mail_support import Captured, Delivered, KeyMaker, SmtpServer, arrived, mail_service

TARGET_RATIO = 1.5
MAIL_FROM = "ksp@kriminalforsorgen.dk"
DELIVERY_TIMEOUT_S = 120.0
DELIVERY_TARGET_MS = 300.0  # issue 11: from the 202 until all messages arrived, p50
AGENCIES = ("municipality", "police", "kf")


@dataclass(frozen=True)
class CirculationConfig:
    recipients: int  # participants, each with a key of their own
    persons: int  # on every version
    rounds: int  # measured circulations
    warmup: int  # circulations before them, not counted
    setup_concurrency: int  # parallel requests while submitting and triaging cases

    def as_json(self) -> dict[str, Any]:
        return {
            "recipients": self.recipients,
            "persons": self.persons,
            "rounds": self.rounds,
            "warmup_rounds": self.warmup,
            "worker_poll_s": 2.0,
            "worker_woken_on_commit": True,
            "target": f"circulate within {TARGET_RATIO:g}x the bare encrypt+sign calls",
        }


@dataclass(frozen=True)
class Recipient:
    name: str
    email: str
    fingerprint: str
    armour: str


@dataclass(frozen=True)
class Kit:
    """What every backend shares: the recipients' keys, the SMTP server, the bare keyring."""

    keys: KeyMaker
    recipients: list[Recipient]
    smtp: SmtpServer
    bare: BareSigner


@dataclass
class Round:
    circulate_s: float
    first_delivered_s: float
    delivery_s: float
    idle_s: float
    sending_s: float
    server_cpu_s: float  # the service process's own CPU during the call
    gpg_cpu_s: float  # the gpg processes the service ran (and waited for) during the call
    bare_s: float = 0.0
    bare_cpu_s: float = 0.0  # the gpg processes of the bare calls
    bare_python_cpu_s: float = 0.0  # this process (python-gnupg) during the bare calls
    message_bytes: int = 0  # mean size of the round's messages as the SMTP server got them
    print_s: float = 0.0  # the version's PDF, fetched just before the circulation


@dataclass
class Outcome:
    setup_s: float = 0.0
    first_circulate_s: float | None = None  # the first (warm-up) round's call
    rounds: list[Round] = field(default_factory=list)
    circulations: list[str] = field(default_factory=list)
    payload_bytes: int = 0
    sample: dict[str, Any] = field(default_factory=dict)
    deliveries: int = 0
    sent: int = 0


# The bare baseline ------------------------------------------------------------------------


class BareSigner:
    """A keyring with the recipients' public keys and one signing key, used bare."""

    def __init__(self, home: Path, public_keys: str) -> None:
        self._maker = KeyMaker(home)
        self._maker.import_keys(public_keys)
        self.signer = self._maker.make(f"Bench signer <{MAIL_FROM}>")
        self._gpg = gnupg.GPG(gnupghome=str(home))
        self.gpg_version = ".".join(str(part) for part in self._gpg.version)

    def run(self, payload: bytes, fingerprints: Sequence[str]) -> tuple[float, float, float]:
        """Encrypt and sign ``payload`` to each fingerprint in turn: the wall seconds, the
        CPU seconds of the gpg processes and those of this process (python-gnupg)."""
        before = os.times()
        started = time.perf_counter()
        for fingerprint in fingerprints:
            result = self._gpg.encrypt(
                payload,
                fingerprint,
                sign=self.signer,
                always_trust=True,
                extra_args=["--no-random-seed-file"],
            )
            if not result.ok:
                raise BenchError(f"bare gpg encrypt failed: {result.status}")
        elapsed = time.perf_counter() - started
        after = os.times()
        gpg = after.children_user + after.children_system
        gpg -= before.children_user + before.children_system
        own = after.user + after.system - before.user - before.system
        return elapsed, gpg, own

    def close(self) -> None:
        self._maker.close()


def make_recipients(keys: KeyMaker, count: int) -> list[Recipient]:
    """``count`` recipients, each with a key of their own made in ``keys``."""
    recipients = []
    for number in range(1, count + 1):
        name, email = f"Modtager {number:02d}", f"modtager{number:02d}@bench.kommune.dk"
        fingerprint = keys.make(f"{name} <{email}>")
        recipients.append(Recipient(name, email, fingerprint, keys.public(fingerprint)))
    return recipients


@contextlib.contextmanager
def prepared(config: CirculationConfig, work: Path) -> Iterator[Kit]:
    """Make the keys and the bare keyring, start the SMTP server; all stopped on the way out."""
    work.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        keys = stack.enter_context(KeyMaker(work / "recipients-gnupg"))
        recipients = make_recipients(keys, config.recipients)
        # Each key's own armour: gpg's status lines can land inside one export of 30 keys.
        bare = BareSigner(work / "bare-gnupg", "\n".join(r.armour for r in recipients))
        stack.callback(bare.close)
        smtp = stack.enter_context(SmtpServer(work / "smtp-tls"))
        yield Kit(keys, recipients, smtp, bare)


# Setup over HTTP --------------------------------------------------------------------------


async def register(
    client: httpx.AsyncClient, kif: dict[str, str], recipients: Sequence[Recipient]
) -> list[str]:
    """Each recipient registered (key checked and pinned); their ids. One at a time, as
    KiF would register them."""
    ids = []
    for number, recipient in enumerate(recipients):
        body = {
            "name": recipient.name,
            "email": recipient.email,
            "agency": AGENCIES[number % len(AGENCIES)],
            "unit": f"modtager-{number:02d}",
            "openpgp_key": recipient.armour,
        }
        made = await client.post("/api/v1/recipients", json=body, headers=kif)
        ids.append(str(expect(made, 201, "recipient")["id"]))
    return ids


async def register_all(
    client: httpx.AsyncClient,
    kif: dict[str, str],
    recipients: Sequence[Recipient],
    meeting_id: str,
) -> None:
    """Every recipient registered, then made a participant of the meeting."""
    for recipient_id in await register(client, kif, recipients):
        added = await client.post(
            f"/api/v1/meetings/{meeting_id}/participants",
            json={"recipient_id": recipient_id},
            headers=kif,
        )
        expect(added, 201, "participant")


# One round --------------------------------------------------------------------------------


@dataclass
class Listing:
    """The meeting's list as this client keeps track of it."""

    meeting_id: str
    document_id: str
    version: int
    on_list: list[str]
    waiting: deque[str]


async def next_version(client: httpx.AsyncClient, kif: dict[str, str], listing: Listing) -> None:
    """A new version: the first listed person swapped for the first spare."""
    removed, added = listing.on_list[0], listing.waiting[0]
    body = {
        "add": [added],
        "remove": [removed],
        "reason": f"Bench: one person replaced ({listing.version + 1})",
        "base_version": listing.version,
    }
    made = await client.post(f"/api/v1/meetings/{listing.meeting_id}/list", json=body, headers=kif)
    listing.version = int(expect(made, 201, "list change")["version"])
    listing.on_list = [*listing.on_list[1:], added]
    listing.waiting.popleft()
    listing.waiting.append(removed)


def own_and_gpg_cpu_s(pid: int) -> tuple[float, float]:
    """The process's own CPU seconds and those of its children it has waited for."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0, 0.0
    fields = stat.rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / tick, (int(fields[13]) + int(fields[14])) / tick


async def circulate(
    server: Server, connection: HttpConnection, head: bytes, kit: Kit
) -> tuple[Round, str, list[Captured]]:
    """One circulation, timed from the request until its last message arrived."""
    cpu_before = own_and_gpg_cpu_s(server.process.pid)
    started = time.perf_counter()
    async with asyncio.timeout(REQUEST_TIMEOUT_S):
        status, answer = await connection.exchange(head, b"")
    answered = time.perf_counter()
    cpu_after = own_and_gpg_cpu_s(server.process.pid)
    if status != 202:
        raise BenchError(f"circulate: {status} {answer[:500]!r}")
    body = msgspec.json.decode(answer)
    if len(body["recipients"]) != len(kit.recipients):
        raise BenchError(f"circulate queued {len(body['recipients'])} messages")
    circulation_id = str(body["circulation_id"])
    try:
        messages = await arrived(kit.smtp, circulation_id, len(kit.recipients), DELIVERY_TIMEOUT_S)
    except BenchError as exc:
        raise BenchError(f"{exc}; the service's log ends:\n{log_tail(server.log)}") from None
    delivered = Delivered.since(answered, messages)
    last = max(message.at for message in messages)
    # The worker may have woken between the commit and the 202 reaching us.
    contact = kit.smtp.first_contact(started) or answered
    idle = max(0.0, contact - answered)
    measured = Round(
        circulate_s=answered - started,
        first_delivered_s=delivered.first_s,
        delivery_s=delivered.all_s,
        idle_s=idle,
        sending_s=last - max(contact, answered),
        server_cpu_s=cpu_after[0] - cpu_before[0],
        gpg_cpu_s=cpu_after[1] - cpu_before[1],
        message_bytes=round(sum(m.size for m in messages) / len(messages)),
    )
    return measured, circulation_id, messages


def opened(kit: Kit, messages: list[Captured]) -> tuple[bytes, dict[str, Any]]:
    """The inner entity the service encrypted (decrypted here), and what was checked."""
    emails = {recipient.email for recipient in kit.recipients}
    addressed = sorted(address for message in messages for address in message.recipients)
    sample = messages[0]
    _, armour = read_encrypted_message(sample.data)
    decrypted = kit.keys.decrypt(armour)
    checked = {
        "one_message_per_recipient": addressed == sorted(emails),
        "sender": sample.sender,
        "decrypts": bool(decrypted.ok),
        "signed_by_service": bool(decrypted.valid) and MAIL_FROM in str(decrypted.username),
    }
    if not decrypted.ok:
        raise BenchError(f"a circulated message does not decrypt: {decrypted.status}")
    return bytes(decrypted.data), checked


async def settled(
    client: httpx.AsyncClient, kif: dict[str, str], circulation_ids: list[str]
) -> tuple[int, int]:
    """How many deliveries of the circulations the service counts as sent, of how many."""
    deadline = time.monotonic() + 30
    while True:
        statuses = []
        for circulation_id in circulation_ids:
            found = await client.get(f"/api/v1/circulations/{circulation_id}", headers=kif)
            statuses += [r["status"] for r in expect(found, 200, "circulation")["recipients"]]
        sent = statuses.count("sent")
        if sent == len(statuses) or time.monotonic() > deadline:
            return sent, len(statuses)
        await asyncio.sleep(0.1)


async def printed(client: httpx.AsyncClient, kif: dict[str, str], version: str) -> float:
    """Seconds to fetch the version's PDF (the printing a circulation does too)."""
    started = time.perf_counter()
    answer = await client.get(version, headers={**kif, "Accept": "application/pdf"})
    if answer.status_code != 200 or not answer.content.startswith(b"%PDF-"):
        raise BenchError(f"the version's PDF: {answer.status_code}")
    return time.perf_counter() - started


async def rounds(
    server: Server,
    client: httpx.AsyncClient,
    kif: dict[str, str],
    kit: Kit,
    listing: Listing,
    config: CirculationConfig,
    outcome: Outcome,
) -> None:
    """Warm-up and measured rounds: a new version, its circulation, then the bare calls."""
    fingerprints = [recipient.fingerprint for recipient in kit.recipients]
    headers = {"Content-Type": "application/json", "Authorization": kif["Authorization"]}
    connection = HttpConnection(server.port)
    payload = b""
    try:
        for number in range(config.warmup + config.rounds):
            await next_version(client, kif, listing)
            version = f"/api/v1/documents/{listing.document_id}/versions/{listing.version}"
            print_s = await printed(client, kif, version)
            await connection.close()  # a fresh one: the last may have idled past keep-alive
            connection = HttpConnection(server.port)
            measured, circulation_id, messages = await circulate(
                server, connection, request_head(server.port, f"{version}/circulate", headers), kit
            )
            measured.print_s = print_s
            if number == 0:
                outcome.first_circulate_s = measured.circulate_s
                payload, outcome.sample = opened(kit, messages)
                outcome.payload_bytes = len(payload)
            await settled(client, kif, [circulation_id])  # the worker is idle again
            bare = kit.bare.run(payload, fingerprints)
            measured.bare_s, measured.bare_cpu_s, measured.bare_python_cpu_s = bare
            if number >= config.warmup:
                outcome.rounds.append(measured)
                outcome.circulations.append(circulation_id)
    finally:
        await connection.close()


async def session(
    server: Server, tokens: dict[str, str], kit: Kit, config: CirculationConfig, outcome: Outcome
) -> None:
    kif = {"Authorization": f"Bearer {tokens['kif']}"}
    arrest = {"Authorization": f"Bearer {tokens['arrest']}"}
    started = time.perf_counter()
    async with httpx.AsyncClient(
        base_url=f"http://{HOST}:{server.port}", timeout=REQUEST_TIMEOUT_S, trust_env=False
    ) as client:
        meeting_id = await new_meeting(client, kif)
        count = config.persons + max(1, config.rounds + config.warmup)
        case_ids = await cases_for_meeting(client, arrest, kif, count, config.setup_concurrency)
        on_list, spare = case_ids[: config.persons], case_ids[config.persons :]
        first = {"add": on_list, "reason": "Bench: the first list"}
        made = await client.post(f"/api/v1/meetings/{meeting_id}/list", json=first, headers=kif)
        document_id = str(expect(made, 201, "version 1")["document_id"])
        await register_all(client, kif, kit.recipients, meeting_id)
        outcome.setup_s = time.perf_counter() - started
        listing = Listing(meeting_id, document_id, 1, on_list, deque(spare))
        await rounds(server, client, kif, kit, listing, config, outcome)
        outcome.sent, outcome.deliveries = await settled(client, kif, outcome.circulations)


# Results ----------------------------------------------------------------------------------


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def spread(values: Sequence[float]) -> dict[str, float | None]:
    """p50 (the median: with few rounds, not a nearest rank) and max, in milliseconds."""
    if not values:
        return {"p50": None, "max": None}
    return {"p50": ms(statistics.median(values)), "max": ms(max(values))}


def summary(outcome: Outcome, config: CirculationConfig, gpg_version: str) -> dict[str, Any]:
    measured = outcome.rounds
    count = len(measured) or 1
    circulate_p50 = statistics.median(r.circulate_s for r in measured)
    bare_p50 = statistics.median(r.bare_s for r in measured)
    active = [r.circulate_s + r.sending_s for r in measured]
    ratio = circulate_p50 / bare_p50
    print_p50 = statistics.median(r.print_s for r in measured)
    return {
        "rounds": len(measured),
        "circulate_ms": {
            **spread([r.circulate_s for r in measured]),
            "min": ms(min(r.circulate_s for r in measured)),
        },
        "circulate_ms_each": [ms(r.circulate_s) for r in measured],
        "print_ms": spread([r.print_s for r in measured]),
        "ratio_circulate_minus_print_to_bare": round((circulate_p50 - print_p50) / bare_p50, 2),
        "first_delivered_ms": spread([r.first_delivered_s for r in measured]),
        "delivery_ms": spread([r.delivery_s for r in measured]),  # all delivered
        "delivery_target_ms": DELIVERY_TARGET_MS,
        "meets_delivery_target": statistics.median(r.delivery_s for r in measured) * 1000
        <= DELIVERY_TARGET_MS,
        "end_to_end_ms": spread([r.circulate_s + r.delivery_s for r in measured]),
        "idle_wait_ms": spread([r.idle_s for r in measured]),
        "sending_ms": spread([r.sending_s for r in measured]),
        "end_to_end_minus_idle_ms": spread(active),
        "bare_30_encrypt_sign_ms": {
            **spread([r.bare_s for r in measured]),
            "min": ms(min(r.bare_s for r in measured)),
        },
        "ratio_circulate_to_bare": round(ratio, 2),
        "ratio_end_to_end_minus_idle_to_bare": round(statistics.median(active) / bare_p50, 2),
        "target": f"circulate within {TARGET_RATIO:g}x the bare calls",
        "meets_target": ratio <= TARGET_RATIO,
        "per_message_sending_ms": ms(
            statistics.median(r.sending_s for r in measured) / config.recipients
        ),
        "server_cpu_ms": ms(sum(r.server_cpu_s for r in measured) / count),
        "server_gpg_cpu_ms": ms(sum(r.gpg_cpu_s for r in measured) / count),
        "bare_gpg_cpu_ms": ms(sum(r.bare_cpu_s for r in measured) / count),
        "bare_python_cpu_ms": ms(sum(r.bare_python_cpu_s for r in measured) / count),
        "first_circulate_ms": (
            None if outcome.first_circulate_s is None else ms(outcome.first_circulate_s)
        ),
        "gpg": gpg_version,
        "payload_bytes": outcome.payload_bytes,
        "message_bytes": round(sum(r.message_bytes for r in measured) / count),
        "checked": outcome.sample,
        "deliveries_sent": outcome.sent,
        "deliveries": outcome.deliveries,
        "setup_s": round(outcome.setup_s, 1),
    }


def bench_circulation(
    backend: Backend, kit: Kit, config: CirculationConfig, work: Path
) -> dict[str, Any]:
    """Serve with SMTP delivery (``mail_service``), import the service's key to open what
    it sends, set up and circulate."""
    outcome = Outcome()
    with mail_service(backend, kit.smtp, work, mail_from=MAIL_FROM) as service:
        kit.keys.import_keys(ksp(service.env, "mail", "key") + "\n")
        asyncio.run(session(service.server, service.tokens, kit, config, outcome))
    result = summary(outcome, config, kit.bare.gpg_version)
    if result["deliveries_sent"] != result["deliveries"]:
        tail = log_tail(work / "service.log")
        print(f"not every delivery was sent; the log ends:\n{tail}", file=sys.stderr)
    return result
