"""Notice recipients (issue 11) in the core: a key is optional only for them, and their
notice names the meeting by its Danish day and links by ids, for a list and for minutes."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from test_list_rules import MEETING as LIST_MEETING
from test_list_rules import NOW

from ksp.domain.circulation import (
    Agency,
    DeliveryMode,
    Recipient,
    RecipientDraft,
    check_recipient,
)
from ksp.domain.documents import DocumentVersion
from ksp.domain.errors import InvalidInput
from ksp.services.notices import cancellation_notice, version_notice
from ksp.web.meeting_labels import key_status

MEETING = dataclasses.replace(
    LIST_MEETING,
    scheduled_for=dt.datetime(2026, 12, 10, 23, 30, tzinfo=dt.UTC),  # Friday in Denmark
    title="Møde om Jens Hansen",
)
VERSION = DocumentVersion("d1", "m1", 3, "0" * 64, NOW, "kif-1", "", (), {"entries": []})


def test_only_a_notice_recipient_may_come_without_a_key() -> None:
    keyless = RecipientDraft("Kim", "kim@x.dk", Agency.POLICE, "politi-fyn", None, None)
    with pytest.raises(InvalidInput) as caught:
        check_recipient(keyless)
    assert [e.field for e in caught.value.errors] == ["openpgp_key"]
    check_recipient(dataclasses.replace(keyless, delivery=DeliveryMode.NOTICE))


def test_a_version_notice_names_the_danish_day_and_links_by_ids_never_the_title() -> None:
    notice = version_notice(MEETING, VERSION, "https://ksp.example")
    assert notice.subject == "KSP-liste version 3 er klar: møde fredag 11. december 2026"
    assert notice.text.startswith("Version 3 af listen til KSP-mødet fredag 11. december 2026")
    assert notice.link == "https://ksp.example/moeder/m1/udsendt/d1/3"
    assert "Jens" not in notice.subject + notice.text + notice.link


def test_a_minutes_notice_says_referat() -> None:
    minutes = dataclasses.replace(VERSION, body={"kind": "minutes"})
    notice = version_notice(MEETING, minutes, "https://ksp.example")
    assert notice.subject.startswith("KSP-referat version 3 er klar")
    assert "referatet" in notice.text


def test_a_cancellation_notice_links_to_the_meetings_page() -> None:
    notice = cancellation_notice(MEETING, "https://ksp.example", "KSP-møde aflyst")
    assert notice.link == "https://ksp.example/moeder/m1"
    assert "er aflyst" in notice.text


def test_the_meeting_page_says_a_notice_recipient_gets_a_signed_notice() -> None:
    recipient = Recipient(
        "r1", "kif-hovedstaden", "Kim", "kim@x.dk", Agency.POLICE, "politi-fyn", "", None,
        NOW, "kif-1", delivery=DeliveryMode.NOTICE,
    )  # fmt: skip
    status = key_status(recipient, NOW)
    assert status.usable
    assert "meddelelse" in status.text
