"""The README's walk-through, run as written: its test CA first, then a real `ksp serve`
process started as the README starts `make run`, then the walk-through's blocks against it
(down to the list circulated to an OpenPGP and an S/MIME recipient, who open what arrived
in the maildir with gpg and openssl); then a raw scan of everything the service wrote for
the walk-through's personal data."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import NamedTuple

import pytest

from support.server import running_server, server_env

ROOT = Path(__file__).resolve().parents[2]
PERSONAL_DATA = [
    "Jens Jensen",
    "0101901234",
    "010190-1234",
    "Peter Hansen",
    "0202854321",
    "020285-4321",
    "Udtrykt sympati for voldelig ekstremisme",
    "Kan afvente mødet",
    "Mette Sekretær",  # an attendee: staff personal data, encrypted at rest
    "Drøftet; kommunen følger op",  # an outcome's summary
]
# The walk-through's two recipients: function mailboxes, stored as they are, never logged.
RECIPIENTS = ["ksp@politi-koebenhavn.example.dk", "ksp@kommune-101.example.dk"]


class Walked(NamedTuple):
    output: str  # the walk-through's standard output (and stderr where a block merges it)
    data_dir: Path  # the server's
    log: Path  # the server's
    files: Path  # the walk-through's $OUT


def readme_blocks(marker: str) -> list[str]:
    """The README's ```sh blocks marked ``<!-- {marker} -->``, in order."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(rf"<!-- {marker} -->\n```sh\n(.*?)```", readme, re.DOTALL)


def walkthrough() -> str:
    """Every walk-through block of the README, in order, as one script (the mail's and the
    meetings' blocks go on from the first one's shell)."""
    blocks = readme_blocks("walkthrough")
    assert blocks, "the README has no walk-through block"
    return "".join(blocks)


def serve_settings(workdir: Path) -> dict[str, str]:
    """The variables the README starts `make run` with (after its CA block), paths taken
    from the walk-through's directory as `make run` takes them from the repository's."""
    (command,) = readme_blocks("walkthrough-serve")
    *assignments, make, run = command.split()
    assert [make, run] == ["make", "run"], command
    settings = dict(item.split("=", 1) for item in assignments)
    assert set(settings) == {"KSP_SMIME_TRUST_ANCHORS"}, settings
    return {name: str(workdir / value) for name, value in settings.items()}


@pytest.fixture(scope="module")
def walked(tmp_path_factory: pytest.TempPathFactory) -> Walked:
    """Run the README's CA block, start the server as the README says, run the walk-through."""
    data_dir = tmp_path_factory.mktemp("readme")
    workdir = tmp_path_factory.mktemp("shell")
    (workdir / ".venv").symlink_to(ROOT / ".venv")
    (setup,) = readme_blocks("walkthrough-setup")  # the test CA, before the server starts
    made = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", setup],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    env = server_env(data_dir) | serve_settings(workdir)
    with running_server(data_dir, env) as server:
        script = walkthrough().replace("http://127.0.0.1:8000", server.base_url)
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=workdir,
            env=server.env,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    html = (workdir / "var" / "walkthrough" / "ksp-liste-v1.html").read_text(encoding="utf-8")
    assert "Jens Jensen" in html
    assert "databeskyttelsesregler" in html
    referat = (workdir / "var" / "walkthrough" / "ksp-referat-v1.html").read_text("utf-8")
    assert "Referat af KSP-møde" in referat
    assert "Mette Sekretær" in referat
    assert "Kontakt borgeren" in referat
    invitation = (workdir / "var" / "walkthrough" / "invitation.ics").read_text("utf-8")
    assert "SEQUENCE:1" in invitation
    return Walked(done.stdout, data_dir, server.log, workdir / "var" / "walkthrough")


def test_the_readme_walkthrough_works_as_written(walked: Walked) -> None:
    """README: submit, a refused remand case, KiF's read, triage, a correction, the
    auditor's search."""
    output = walked.output
    assert re.search(r'"status":"submitted"', output)
    assert "/problems/remand-requires-radicalisation-concern" in output
    assert '"cpr":"010190-1234"' in output  # KiF sees the full number
    assert '"status":"meeting"' in output
    assert '"sub":"kif-secretary-2"' in output
    assert '"version":1' in output
    assert '"revision":1,"fields":["released_on"]' in output  # the jail's correction
    assert '"ok":true' in output
    assert "intact: 1 entries, checkpoint at 1" in output


def test_the_meetings_walkthrough_goes_from_attendance_to_the_worklist(
    walked: Walked,
) -> None:
    """README, "Meetings": attendance holds the meeting, an outcome with an action, two
    minutes versions whose diff names the action's status, the worklist, a cancellation."""
    output = walked.output
    assert '"status":"held"' in output
    assert re.search(r'"action_ids":\["[0-9a-f-]{36}"\],"exchange_id"', output)
    assert "['status']" in output  # the minutes diff: the action's status changed
    assert '"kind":"minutes"' in output  # the meeting's documents: its list and minutes
    assert '"kind":"exchange-duties-open"' in output
    assert '"status":"cancelled"' in output
    assert '"recipients":[]' in output  # the cancelled meeting had no participants


def inner_message(path: Path) -> EmailMessage:
    inner = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(inner, EmailMessage)
    return inner


def test_the_mail_walkthrough_reaches_an_openpgp_and_an_smime_recipient(walked: Walked) -> None:
    """README, "The list by secure mail" (issue 11): KiF registers one OpenPGP and one S/MIME
    recipient and circulates to both; both deliveries are sent; the police open theirs with
    gpg alone, the municipality with its certificate and OpenSSL alone, each finds the
    service's signature good and the list version inside (its JSON is the version's)."""
    output, files = walked.output, walked.files
    assert '"format":"openpgp"' in output
    assert '"format":"smime"' in output
    deliveries = (files / "deliveries.txt").read_text(encoding="utf-8").splitlines()
    assert sorted(deliveries) == sorted(f"{address} sent" for address in RECIPIENTS)
    assert 'Good signature from "KSP service <ksp@localhost>"' in output  # gpg --decrypt
    assert "CMS Verification successful" in output  # openssl cms -verify
    version = json.loads((files / "version.json").read_text(encoding="utf-8"))
    for name, address in (("politi", RECIPIENTS[0]), ("kommune", RECIPIENTS[1])):
        inner = inner_message(files / f"{name}-inner.eml")
        assert inner["To"] == address
        assert inner["Subject"] == "KSP-liste: KSP-møde København, version 1"
        parts = {part.get_content_type(): part for part in inner.walk()}
        document = parts["application/json"].get_content()
        assert hashlib.sha256(document).hexdigest() == version["sha256"]
        assert "Jens Jensen" in parts["text/html"].get_content()


def test_no_personal_data_is_stored_or_logged_in_plaintext(
    walked: Walked,
) -> None:
    """Issue 2: a raw scan of the SQLite file, the logs and the mail delivered to the
    maildir finds no CPR number or name; the log names no recipient either."""
    data_dir, log = walked.data_dir, walked.log
    mails = sorted((data_dir / "mail").glob("*/*"))
    assert len(mails) == 2  # the circulation's; the cancelled meeting had no participants
    for mail in mails:
        raw = mail.read_bytes()
        assert b"-----BEGIN PGP MESSAGE-----" in raw or b"application/pkcs7-mime" in raw
    files = [p for p in data_dir.iterdir() if p.name.startswith("ksp.sqlite3")] + [log, *mails]
    assert any(p.name == "ksp.sqlite3" for p in files)
    for address in RECIPIENTS:
        assert address.encode() not in log.read_bytes().lower()
    lines = [json.loads(line) for line in log.read_text().splitlines()]  # every line is JSON
    requests = [line for line in lines if line["event"] == "request"]
    assert len(requests) >= 5
    assert all(re.fullmatch(r"[0-9a-f]{32}", line["request_id"]) for line in requests)
    for path in files:
        raw = path.read_bytes()
        for secret in PERSONAL_DATA:
            for encoding in ("utf-8", "utf-16-le"):
                assert secret.encode(encoding) not in raw, f"{secret!r} in {path.name}"


def test_the_readme_links_only_what_a_clone_has() -> None:
    """A clone has no ../shared: every relative link of the README names a file of the
    repository, and the walk-through's files holding personal data go under git-ignored var/."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "../shared" not in readme
    for target in re.findall(r"\]\(((?!https?:|#)[^)#]+)", readme):
        assert (ROOT / target).exists(), target
    assert "var/" in (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    scripts = "".join(readme_blocks("walkthrough-setup")) + walkthrough()
    assert "OUT=var/walkthrough\n" in scripts
    assert "CA=var/walkthrough/ca\n" in scripts
    written = re.findall(r"(?:\btee|\s-o|\s-out|\s-keyout|\s--output|\s>)\s+(\S+)", scripts)
    assert len(written) >= 20
    for target in written:
        assert target.startswith(("$OUT/", "$CA/")), target
