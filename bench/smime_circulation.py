"""Circulating one 200-person version to 30 S/MIME recipients, next to the same version to
30 OpenPGP recipients (gpg), in the same run, through HTTP.

Setup: an SMTP server on loopback (``tests/support/smtp.py``), a test CA built like OCES3
(``tests/support/smime_ca.py``: RSA 4096 root, RSA 3072 issuing CA, RSASSA-PSS) whose
bundle is ``KSP_SMIME_TRUST_ANCHORS``, and a real ``ksp serve`` delivering there. 30
recipients with an RSA 3072 certificate of their own (``POST /recipients`` with
``certificate``) and 30 with an OpenPGP key of their own (ed25519/cv25519, made by gpg) are
registered; one meeting's list holds ``persons`` remand cases.

Each round circulates that one version twice, once to each set of participants (the other
set removed first, untimed; the order alternates between rounds): ``POST
/documents/{id}/versions/1/circulate`` with ``again`` and a reason. The call checks every
participant's key or certificate (chain, CRLs, dates), renders the version and seals one
message per recipient (S/MIME: ``cryptography``'s PKCS#7 builders, signed then enveloped
with AES-256; OpenPGP: gpg, four at a time), queues them and answers 202; it is timed until
the 202. Before the next call every message of the round has arrived at the SMTP server, so
the in-process worker is idle again. The target: the S/MIME median at most 0.5x the gpg
median. One message of each kind is opened as its recipient would (``openssl cms`` decrypt
and verify against ``GET /api/v1/mail/identity``; gpg), so the numbers are of real mail.

Next to it, in this process after the service stopped: ``seal_only``, the envelopes alone
over the inner message the service sealed (30 S/MIME messages built by the service's
builder; 30 bare python-gnupg encrypt+sign calls), which shows what the envelope costs
apart from what both circulations share (the checks, rendering, queueing).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509

from circulation import BareSigner
from harness import (
    HOST,
    REQUEST_TIMEOUT_S,
    Backend,
    BenchError,
)
from ksp.mail.mime_parts import headers_of
from ksp.mail.pgpmime import read_encrypted_message
from ksp.mail.smime import build_smime_message
from ksp.mail.smime_identity import load_identity
from list_version import cases_for_meeting, expect, new_meeting
from mail_support import Captured, Delivered, KeyMaker, SmtpServer, arrived, mail_service
from support.smime_ca import SmimeCa  # mail_support put tests/ on the path
from support.smime_open import open_smime

TARGET_RATIO = 0.5
MAIL_FROM = "ksp@kriminalforsorgen.dk"
DELIVERY_TIMEOUT_S = 180.0
KINDS = ("smime", "openpgp")


@dataclass(frozen=True)
class SmimeBenchConfig:
    recipients: int  # of each kind
    persons: int  # on the version
    rounds: int  # measured, each circulating to both sets
    warmup: int
    setup_concurrency: int = 8

    def as_json(self) -> dict[str, Any]:
        return {
            "recipients_each": self.recipients,
            "persons": self.persons,
            "rounds": self.rounds,
            "warmup_rounds": self.warmup,
            "target": f"S/MIME circulate median within {TARGET_RATIO:g}x the gpg one",
        }


@dataclass(frozen=True)
class Kit:
    keys: KeyMaker
    bodies: dict[str, list[dict[str, str]]]  # kind -> registration bodies
    smime_files: dict[str, tuple[Path, Path]]  # email -> certificate, key
    anchors: Path
    smtp: SmtpServer
    bare: BareSigner  # the OpenPGP recipients' public keys and a signing key
    fingerprints: list[str]  # the OpenPGP recipients'


@contextlib.contextmanager
def prepared_smime(config: SmimeBenchConfig, work: Path) -> Iterator[Kit]:
    """The CA, the certificates and keys, the SMTP server; stopped on the way out."""
    work.mkdir(parents=True, exist_ok=True)
    ca = SmimeCa.make("KSP Bench Root CA")
    anchors = work / "anchors.pem"
    anchors.write_text(ca.anchors_pem)
    with contextlib.ExitStack() as stack:
        keys = stack.enter_context(KeyMaker(work / "recipients-gnupg"))
        bodies: dict[str, list[dict[str, str]]] = {kind: [] for kind in KINDS}
        files, fingerprints = {}, []
        for number in range(1, config.recipients + 1):
            email = f"smime{number:02d}@bench.politi.dk"
            issued = ca.issue(email, fresh_key=True)
            files[email] = issued.write(work / "certificates", f"{number:02d}")
            bodies["smime"].append({"email": email, "certificate": issued.pem})
            email = f"openpgp{number:02d}@bench.kommune.dk"
            fingerprint = keys.make(f"Modtager {number:02d} <{email}>")
            fingerprints.append(fingerprint)
            bodies["openpgp"].append({"email": email, "openpgp_key": keys.public(fingerprint)})
        bare = BareSigner(work / "bare-gnupg", "".join(keys.public(f) for f in fingerprints))
        stack.callback(bare.close)
        smtp = stack.enter_context(SmtpServer(work / "smtp-tls"))
        yield Kit(keys, bodies, files, anchors, smtp, bare, fingerprints)


@dataclass
class Outcome:
    times: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    seal_only: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    delivered: dict[str, list[Delivered]] = field(default_factory=lambda: {k: [] for k in KINDS})
    inner: bytes = b""  # an inner message the service sealed, opened here
    message_bytes: dict[str, int] = field(default_factory=dict)
    checked: dict[str, bool] = field(default_factory=dict)
    setup_s: float = 0.0


class Session:
    def __init__(self, client: httpx.AsyncClient, kif: dict[str, str], kit: Kit) -> None:
        self.client, self.kif, self.kit = client, kif, kit
        self.ids: dict[str, list[str]] = {kind: [] for kind in KINDS}
        self.meeting = ""
        self.current: str | None = None

    async def register(self) -> None:
        for kind in KINDS:
            for number, body in enumerate(self.kit.bodies[kind]):
                full = {"name": "Modtager", "agency": "police", "unit": f"m-{number:02d}", **body}
                made = await self.client.post("/api/v1/recipients", json=full, headers=self.kif)
                self.ids[kind].append(str(expect(made, 201, f"{kind} recipient")["id"]))

    async def participants(self, kind: str) -> None:
        """Only ``kind``'s recipients take part."""
        base = f"/api/v1/meetings/{self.meeting}/participants"
        if self.current is not None:
            for recipient_id in self.ids[self.current]:
                gone = await self.client.delete(f"{base}/{recipient_id}", headers=self.kif)
                if gone.status_code != 204:
                    raise BenchError(f"remove participant: {gone.status_code}")
        for recipient_id in self.ids[kind]:
            added = await self.client.post(
                base, json={"recipient_id": recipient_id}, headers=self.kif
            )
            expect(added, 201, "participant")
        self.current = kind

    async def circulate(
        self, document_id: str, number: int
    ) -> tuple[float, Delivered, list[Captured]]:
        """The call's seconds until its 202, when its messages arrived, and they."""
        body = {"again": True, "reason": f"Bench round {number}"}
        path = f"/api/v1/documents/{document_id}/versions/1/circulate"
        started = time.perf_counter()
        answer = await self.client.post(path, json=body, headers=self.kif)
        answered = time.perf_counter()
        circulation_id = str(expect(answer, 202, "circulate")["circulation_id"])
        messages = await arrived(self.kit.smtp, circulation_id, self.kit_count, DELIVERY_TIMEOUT_S)
        return answered - started, Delivered.since(answered, messages), messages

    @property
    def kit_count(self) -> int:
        return len(self.kit.bodies["smime"])


def checked(kind: str, message: Captured, kit: Kit, chain: str) -> bool:
    """Whether the message opens as its recipient would open it."""
    if kind == "smime":
        inner = open_smime(message.data, *kit.smime_files[message.recipients[0]], chain)
        return b"KSP-liste:" in inner
    return bool(kit.keys.decrypt(read_encrypted_message(message.data)[1]).ok)


async def session(
    port: int, tokens: dict[str, str], kit: Kit, config: SmimeBenchConfig, outcome: Outcome
) -> None:
    kif = {"Authorization": f"Bearer {tokens['kif']}"}
    arrest = {"Authorization": f"Bearer {tokens['arrest']}"}
    started = time.perf_counter()
    async with httpx.AsyncClient(
        base_url=f"http://{HOST}:{port}", timeout=REQUEST_TIMEOUT_S, trust_env=False
    ) as client:
        run = Session(client, kif, kit)
        run.meeting = await new_meeting(client, kif)
        case_ids = await cases_for_meeting(
            client, arrest, kif, config.persons, config.setup_concurrency
        )
        first = {"add": case_ids, "reason": "Bench: the list"}
        made = await client.post(f"/api/v1/meetings/{run.meeting}/list", json=first, headers=kif)
        document_id = str(expect(made, 201, "version 1")["document_id"])
        await run.register()
        chain = expect(await client.get("/api/v1/mail/identity", headers=kif), 200, "identity")
        outcome.setup_s = time.perf_counter() - started
        for number in range(config.warmup + config.rounds):
            order = KINDS if number % 2 == 0 else tuple(reversed(KINDS))
            for kind in order:
                await run.participants(kind)
                elapsed, delivered, messages = await run.circulate(document_id, number)
                if number >= config.warmup:
                    outcome.times[kind].append(elapsed)
                    outcome.delivered[kind].append(delivered)
                if kind not in outcome.checked:
                    outcome.checked[kind] = checked(
                        kind, messages[0], kit, str(chain["smime_certificates"])
                    )
                    if kind == "smime":
                        files = kit.smime_files[messages[0].recipients[0]]
                        outcome.inner = open_smime(
                            messages[0].data, *files, str(chain["smime_certificates"])
                        )
                    outcome.message_bytes[kind] = round(
                        sum(m.size for m in messages) / len(messages)
                    )


def seal_only(kit: Kit, inner: bytes, rounds: int, work: Path, outcome: Outcome) -> None:
    """The envelopes alone, in this process, over the inner message the service sealed: 30
    S/MIME messages built one after the other (the same builder the service uses, with an
    identity of its own) next to 30 bare python-gnupg encrypt+sign calls over those bytes."""
    identity = load_identity(cert_pem=None, key_pem=None, data_dir=work, sender=MAIL_FROM)
    certificates = [
        x509.load_pem_x509_certificate(certificate.read_bytes())
        for certificate, _key in kit.smime_files.values()
    ]
    headers = headers_of(
        sender=MAIL_FROM,
        recipient="r@bench.politi.dk",
        message_id="<bench@kriminalforsorgen.dk>",
        date=dt.datetime.now(dt.UTC),
    )
    for _ in range(rounds):
        started = time.perf_counter()
        for certificate in certificates:
            build_smime_message(
                headers=headers,
                outer_subject="Sikker meddelelse fra KSP-sekretariatet",
                inner=inner,
                identity=identity,
                certificate=certificate,
            )
        outcome.seal_only["smime"].append(time.perf_counter() - started)
        outcome.seal_only["openpgp"].append(kit.bare.run(inner, kit.fingerprints)[0])


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def delivered_ms(deliveries: list[Delivered]) -> dict[str, dict[str, float]]:
    """From the 202 until the first and until the last (``all``) message arrived: p50 (the
    median) and max, in milliseconds."""
    seconds = {"first": [d.first_s for d in deliveries], "all": [d.all_s for d in deliveries]}
    return {
        name: {"p50": ms(statistics.median(values)), "max": ms(max(values))}
        for name, values in seconds.items()
    }


def summary(outcome: Outcome) -> dict[str, Any]:
    medians = {kind: statistics.median(outcome.times[kind]) for kind in KINDS}
    ratio = medians["smime"] / medians["openpgp"]
    sealing = {kind: statistics.median(outcome.seal_only[kind]) for kind in KINDS}
    return {
        "seal_only_30_ms": {kind: ms(sealing[kind]) for kind in KINDS},
        "ratio_seal_only_smime_to_gpg": round(sealing["smime"] / sealing["openpgp"], 2),
        **{
            f"{kind}_circulate_ms": {
                "p50": ms(medians[kind]),
                "max": ms(max(outcome.times[kind])),
                "each": [ms(t) for t in outcome.times[kind]],
            }
            for kind in KINDS
        },
        **{f"{kind}_delivered_ms": delivered_ms(outcome.delivered[kind]) for kind in KINDS},
        "ratio_smime_to_gpg": round(ratio, 2),
        "target": f"S/MIME within {TARGET_RATIO:g}x gpg",
        "meets_target": ratio <= TARGET_RATIO,
        "message_bytes": outcome.message_bytes,
        "checked": outcome.checked,
        "setup_s": round(outcome.setup_s, 1),
    }


def bench_smime(backend: Backend, kit: Kit, config: SmimeBenchConfig, work: Path) -> dict[str, Any]:
    outcome = Outcome()
    anchors = {"KSP_SMIME_TRUST_ANCHORS": str(kit.anchors)}
    with mail_service(backend, kit.smtp, work, mail_from=MAIL_FROM, extra_env=anchors) as service:
        asyncio.run(session(service.server.port, service.tokens, kit, config, outcome))
    seal_only(kit, outcome.inner, config.rounds, work / "seal-only", outcome)
    return summary(outcome)
