"""SMTP as a real server answers it (issue 7): KSP_SMTP_CA_FILE adds a CA to the system's
trust store, and failed deliveries are logged at WARNING (giving up at ERROR), by id only,
never with an address."""

from __future__ import annotations

import datetime as dt
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar

from ksp.mail.transport import DeliveryFailed, SmtpConfig, SmtpTransport
from ksp.mail.worker import OutboxWorker
from ksp.observability import configure_logging
from support.clock import FixedClock
from support.data import Units
from support.flows import Auth
from support.keys import KeyMaker
from support.participants import circulate_to
from support.smtp import PASSWORD, USER, Handler, SmtpServer

MESSAGE = b"Subject: test\r\n\r\nnothing\r\n"


class Refusing(Handler):
    """A server that answers every recipient with ``code``."""

    code = "451 4.3.0 try again later"

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook
        self, _server: Any, _session: Any, _envelope: Any, _address: str, _options: Any
    ) -> str:
        return self.code


@pytest.fixture
def refusing(tmp_path: Path) -> Iterator[SmtpServer]:
    server = SmtpServer(tmp_path)
    server.handler = Refusing()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def log() -> Iterator[io.StringIO]:
    out = io.StringIO()
    saved, sys.stdout = sys.stdout, out
    try:
        configure_logging("INFO")
        yield out
    finally:
        sys.stdout = saved
        configure_logging("INFO")


def transport_to(server: SmtpServer, ca_file: Path | None) -> SmtpTransport:
    ca = None if ca_file is None else str(ca_file)
    return SmtpTransport(SmtpConfig("127.0.0.1", server.port, "starttls", USER, PASSWORD, ca))


def test_the_smtp_ca_file_adds_a_ca_to_the_systems_trust_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With KSP_SMTP_CA_FILE naming one CA, a relay whose certificate comes from a CA of
    the system's store (here SSL_CERT_FILE, which OpenSSL reads as the system store) is
    still trusted, and so is one from the added CA; a relay from neither is refused."""
    for name in ("system", "added", "other"):
        (tmp_path / name).mkdir()
    system, added, stranger = (
        SmtpServer(tmp_path / n, ca_name=f"ksp test CA {n}") for n in ("system", "added", "other")
    )
    for server in (system, added, stranger):
        server.start()
    monkeypatch.setenv("SSL_CERT_FILE", str(system.ca_file))
    try:
        transport = transport_to(system, added.ca_file)
        transport.send("ksp@kriminalforsorgen.dk", "a@kommune.dk", MESSAGE)
        transport_to(added, added.ca_file).send("ksp@kriminalforsorgen.dk", "a@x.dk", MESSAGE)
        with pytest.raises(DeliveryFailed, match="TLS failed"):
            transport_to(stranger, added.ca_file).send(
                "ksp@kriminalforsorgen.dk", "a@x.dk", MESSAGE
            )
    finally:
        for server in (system, added, stranger):
            server.stop()
    assert len(system.messages) == len(added.messages) == 1


async def test_a_failed_delivery_is_a_warning_and_giving_up_an_error_without_addresses(
    client: httpx.AsyncClient,
    app: Litestar,
    auth: Auth,
    units: Units,
    keys: KeyMaker,
    refusing: SmtpServer,
    clock: FixedClock,
    log: io.StringIO,
) -> None:
    """Issue 7: a relay answering 451 gives a WARNING line with the delivery id, the
    attempt count, the reason and the next attempt; then 550 gives an ERROR line (the
    worker gives up). No line holds a recipient's address."""
    sent = await circulate_to(client, auth, units, keys, 2)
    worker = OutboxWorker(
        app.state.uow, transport_to(refusing, refusing.ca_file), clock, sender="ksp@x.dk"
    )
    while await worker.run_once():
        pass
    assert isinstance(refusing.handler, Refusing)
    refusing.handler.code = "550 5.1.1 no such user"
    clock.set(clock.now() + dt.timedelta(days=1))
    while await worker.run_once():
        pass
    lines = [json.loads(line) for line in log.getvalue().splitlines()]
    deliveries = [line for line in lines if line["event"] == "delivery"]
    retried = [d for d in deliveries if d["status"] == "retrying"]
    failed = [d for d in deliveries if d["status"] == "failed"]
    assert len(retried) >= 2
    assert len(failed) >= 2
    assert {d["level"] for d in retried} == {"warning"}
    assert {d["level"] for d in failed} == {"error"}
    assert {d["error"] for d in retried} == {"SMTP 451"}
    assert all("next_attempt_at" in d for d in retried)
    ours = "\n".join(json.dumps(line) for line in lines if line.get("logger") != "mail.log")
    assert not [email for email in sent.emails if email in ours]  # the test relay's own log aside
