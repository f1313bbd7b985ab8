"""The README's walk-through, run as written against a real `ksp serve` process; then a raw
scan of everything the service wrote for the walk-through's personal data."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from support.server import running_server

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


def walkthrough() -> str:
    """Every walk-through block of the README, in order, as one script (the meetings'
    block goes on from the first one's shell)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"<!-- walkthrough -->\n```sh\n(.*?)```", readme, re.DOTALL)
    assert blocks, "the README has no walk-through block"
    return "".join(blocks)


@pytest.fixture(scope="module")
def walked(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, Path]:
    """Run the walk-through; return its output, the server's data dir and its log."""
    data_dir = tmp_path_factory.mktemp("readme")
    workdir = tmp_path_factory.mktemp("shell")
    (workdir / ".venv").symlink_to(ROOT / ".venv")
    with running_server(data_dir) as server:
        script = walkthrough().replace("http://127.0.0.1:8000", server.base_url)
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=workdir,
            env=server.env,
            capture_output=True,
            text=True,
            timeout=120,
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
    return done.stdout, data_dir, server.log


def test_the_readme_walkthrough_works_as_written(walked: tuple[str, Path, Path]) -> None:
    """README: submit, a refused remand case, KiF's read, triage, a correction, the
    auditor's search."""
    output, _, _ = walked
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
    walked: tuple[str, Path, Path],
) -> None:
    """README, "Meetings": attendance holds the meeting, an outcome with an action, two
    minutes versions whose diff names the action's status, the worklist, a cancellation."""
    output, _, _ = walked
    assert '"status":"held"' in output
    assert re.search(r'"action_ids":\["[0-9a-f-]{36}"\],"exchange_id"', output)
    assert "['status']" in output  # the minutes diff: the action's status changed
    assert '"kind":"minutes"' in output  # the meeting's documents: its list and minutes
    assert '"kind":"exchange-duties-open"' in output
    assert '"status":"cancelled"' in output
    assert '"recipients":[]' in output  # the cancelled meeting had no participants


def test_no_personal_data_is_stored_or_logged_in_plaintext(
    walked: tuple[str, Path, Path],
) -> None:
    """Issue 2: a raw scan of the SQLite file and the logs finds no CPR number or name."""
    _, data_dir, log = walked
    files = [p for p in data_dir.iterdir() if p.name.startswith("ksp.sqlite3")] + [log]
    assert any(p.name == "ksp.sqlite3" for p in files)
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
    for line in walkthrough().splitlines():
        if re.search(r"(tee|-o) ", line):
            assert "$OUT/" in line, line
