"""The meeting's PDF (issue 11): ``Accept: application/pdf`` on a version gives a PDF/A-2b,
printed by WeasyPrint in worker processes, and read back here with pypdf."""

from __future__ import annotations

import io
import re
import uuid

import httpx
import pytest
from pypdf import PdfReader

from ksp.domain.errors import PrintFailed
from ksp.printing import PdfLimits, PdfRenderer
from support.data import Units
from support.flows import (
    Auth,
    access_log,
    case_for_meeting,
    change_list,
    new_meeting,
    take_part,
)
from support.keys import KeyMaker
from support.participants import register

PROBLEMS = "https://ksp.kriminalforsorgen.dk/problems/"
CONCERN_LINES = ("Første linje om bekymringen", "Anden linje efter et linjeskift", "Tredje linje")
# Long enough that the concern column squeezes the others to their narrowest.
FILLER = " ".join(["Lang beskrivelse af bekymringen for radikalisering"] * 8)


async def two_versions(
    client: httpx.AsyncClient, auth: Auth, units: Units, *, cases: int
) -> tuple[str, str, list[str]]:
    """A meeting whose list has two versions, the second adding a case; its document id,
    the added case's concern tag and the CPR numbers of the cases."""
    meeting = await new_meeting(client, auth, units, title=f"KSP-møde PDF {uuid.uuid4().hex[:6]}")
    cprs, case_ids = [], []
    for i in range(cases):
        cpr = f"{(i % 28) + 1:02d}0190-{1000 + i:04d}"
        concern = "\n".join(CONCERN_LINES) if i == 0 else f"{FILLER} {i}"
        case_ids.append(
            await case_for_meeting(
                client, auth, units, subject={"name": f"Borger {i}", "cpr": cpr}, concern=concern
            )
        )
        cprs.append(cpr)
    first = await change_list(client, auth, units, meeting, add=case_ids[:-1], reason="Første")
    assert first.status_code == 201, first.text
    second = await change_list(
        client, auth, units, meeting, add=case_ids[-1:], reason="Tilføjet en", base_version=1
    )
    assert second.status_code == 201, second.text
    return second.json()["document_id"], meeting, cprs


async def pdf_of(
    client: httpx.AsyncClient, headers: dict[str, str], document_id: str, n: int
) -> httpx.Response:
    return await client.get(
        f"/api/v1/documents/{document_id}/versions/{n}",
        headers={**headers, "Accept": "application/pdf"},
    )


async def test_the_pdf_is_pdf_a_2b_with_the_running_line_and_page_numbers_on_every_page(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """A4, the confidentiality marking, meeting and version and "side x af y" on every page;
    the Danish date; each CPR number on one line; the concern's line breaks kept; what
    changed since version 1; the XMP identification of PDF/A-2b."""
    kif = auth("kif", units.kif)
    document_id, _, cprs = await two_versions(client, auth, units, cases=14)
    response = await pdf_of(client, kif, document_id, 2)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert 'filename="ksp-liste-v2.pdf"' in response.headers["content-disposition"]
    reader = PdfReader(io.BytesIO(response.content))
    pages = [page.extract_text() for page in reader.pages]
    assert len(pages) >= 2
    for number, text in enumerate(pages, start=1):
        assert f"side {number} af {len(pages)}" in text
        assert "FORTROLIGT · KSP-liste: KSP-møde PDF" in text
        assert "· version 2" in text
        assert "torsdag 10. december 2026 kl. 10.00" in text
    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert (round(width), round(height)) == (595, 842)  # A4 in points
    text = "\n".join(pages)
    for cpr in cprs:
        assert cpr in text  # never broken across lines
    assert "\n".join(CONCERN_LINES) + "\n" in text  # each on a line of its own
    assert "Ændringer siden version 1" in text
    assert f"Tilføjet: Borger 13, {cprs[-1]}" in text
    xmp = reader.xmp_metadata
    assert xmp is not None
    identification = xmp.stream.get_data().decode()
    assert re.search(r'pdfaid:part="2"', identification)
    assert re.search(r'pdfaid:conformance="B"', identification)


async def test_the_pdf_names_the_participants(
    client: httpx.AsyncClient, auth: Auth, units: Units, keys: KeyMaker
) -> None:
    kif = auth("kif", units.kif)
    document_id, meeting, _ = await two_versions(client, auth, units, cases=2)
    email = f"deltager-{uuid.uuid4().hex[:6]}@kommune.dk"
    registered = await register(client, auth, units, keys, email, name="Karen Kommune")
    assert registered.status_code == 201, registered.text
    await take_part(client, kif, meeting, registered.json()["id"])
    response = await pdf_of(client, kif, document_id, 1)
    assert response.status_code == 200, response.text
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "Mødets deltagere (1)" in text
    assert "Karen Kommune" in text
    assert "Kommunen" in text
    assert "Ændringer siden" not in text  # version 1 has no previous version


async def test_reading_the_pdf_is_access_logged_with_everyone_it_shows(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    kif = auth("kif", units.kif)
    document_id, _, cprs = await two_versions(client, auth, units, cases=2)
    assert (await pdf_of(client, kif, document_id, 2)).status_code == 200
    rows = [
        r
        for r in await access_log(client, auth("auditor", units.kif))
        if r["resource"] == "document-version" and r["resource_id"] == f"{document_id}/2"
    ]
    assert len(rows) == 1
    assert rows[0]["purpose"] == "meeting-preparation"
    assert rows[0]["subject_count"] == len(cprs)


async def test_another_unit_gets_no_pdf(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    document_id, _, _ = await two_versions(client, auth, units, cases=2)
    other = await pdf_of(client, auth("kif", units.other_kif), document_id, 1)
    assert other.status_code == 404
    assert other.json()["type"] == PROBLEMS + "not-found"


async def test_json_stays_the_default_and_html_is_the_same_document(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    kif = auth("kif", units.kif)
    document_id, _, cprs = await two_versions(client, auth, units, cases=2)
    plain = await client.get(f"/api/v1/documents/{document_id}/versions/1", headers=kif)
    assert plain.headers["content-type"].startswith("application/json")
    html = await client.get(
        f"/api/v1/documents/{document_id}/versions/1", headers={**kif, "Accept": "text/html"}
    )
    assert f'<td class="cpr">{cprs[0]}</td>' in html.text
    assert 'data-running="FORTROLIGT · KSP-liste: KSP-møde PDF' in html.text


@pytest.mark.parametrize(
    ("limits", "html", "reason"),
    [
        (PdfLimits(workers=1, max_html_bytes=1_000), "<p>" + "x" * 2_000, "is too large to print"),
        (PdfLimits(workers=1, max_pdf_bytes=1_000), "<p>Hej</p>", "the PDF is too large"),
    ],
)
async def test_each_size_limit_refuses_the_print(limits: PdfLimits, html: str, reason: str) -> None:
    renderer = PdfRenderer(limits)
    try:
        with pytest.raises(PrintFailed) as refused:
            await renderer.render(html)
        assert refused.value.reason.endswith(reason)
    finally:
        renderer.close()


async def test_a_print_over_its_time_ends_its_worker_and_the_next_one_prints() -> None:
    renderer = PdfRenderer(PdfLimits(workers=1, timeout_seconds=0.05))
    try:
        with pytest.raises(PrintFailed) as refused:
            await renderer.render("<p>Hej</p>")  # a fresh worker cannot even start in 50 ms
        assert refused.value.reason == "printing took too long"
        assert renderer._pool is None  # replaced
        renderer.limits = PdfLimits(workers=1, timeout_seconds=60)
        assert (await renderer.render("<p>Hej</p>")).startswith(b"%PDF-")
    finally:
        renderer.close()
