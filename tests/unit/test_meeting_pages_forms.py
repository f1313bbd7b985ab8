"""What the KiF pages say of a recipient's key before a circulation, and how a service's
refused fields land next to the form's fields."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from ksp.domain.circulation import Agency, Recipient
from ksp.domain.errors import FieldError, InvalidInput
from ksp.web.kif_forms import Form, refused_fields
from ksp.web.meeting_labels import key_status

NOW = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC)


def recipient(**changes: object) -> Recipient:
    base = Recipient(
        "r1",
        "kif-x",
        "Deltager",
        "d@kommune.dk",
        Agency.MUNICIPALITY,
        "kommune-101",
        "A" * 40,
        NOW + dt.timedelta(days=365),
        NOW,
        "kif-sub",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "text", "usable"),
    [
        ({}, "Gyldig", True),
        ({"expires_at": None}, "Gyldig", True),
        (
            {"expires_at": NOW + dt.timedelta(days=10)},
            "Gyldig, men udløber inden for 30 dage",
            True,
        ),
        (
            {"expires_at": NOW - dt.timedelta(seconds=1)},
            "Udløbet: bed modtageren om en ny nøgle",
            False,
        ),
        ({"key_revoked": True}, "Spærret: nøglen er tilbagekaldt af ejeren", False),
        ({"retired_at": NOW}, "Udtrådt: modtageren får ikke flere lister", False),
    ],
)
def test_a_keys_status_before_circulation_says_whether_it_can_carry_the_list_guide_3_3_7(
    changes: dict[str, object], text: str, usable: bool
) -> None:
    """Guide 3.3.7: to external parties only by secure mail; an unusable key stops it."""
    status = key_status(recipient(**changes), NOW)
    assert (status.text, status.usable) == (text, usable)


def test_refused_fields_land_on_the_form_fields_in_danish_first_message_each() -> None:
    refused = InvalidInput(
        [
            FieldError("add[0]", "is not triaged for a meeting"),
            FieldError("add[1]", "is withdrawn"),
            FieldError("attendees[2].name", "must be 1 to 200 characters"),
            FieldError("subject.cpr", "must be 10 digits"),
        ]
    )
    assert refused_fields(refused, {"subject.cpr": "cpr"}) == {
        "add": "Sagen er ikke visiteret til et KSP-møde.",
        "name_2": "Skriv mellem 1 og 200 tegn.",
        "cpr": "Skriv CPR-nummeret som 10 cifre, fx 010190-1234.",
    }


def test_a_meeting_time_is_read_as_danish_wall_clock_time() -> None:
    """10.00 on a December day is 09.00 UTC; in June it is 08.00 UTC."""
    winter = Form({"date": "2026-12-10", "time": "10:00"}).copenhagen_time("date", "time")
    summer = Form({"date": "2026-06-10", "time": "10:00"}).copenhagen_time("date", "time")
    assert winter is not None
    assert summer is not None
    assert winter.astimezone(dt.UTC).hour == 9
    assert summer.astimezone(dt.UTC).hour == 8


def test_a_form_without_a_time_notes_the_field_and_refuses() -> None:
    form = Form({"date": "2026-12-10", "time": "ti"})
    assert form.copenhagen_time("date", "time") is None
    with pytest.raises(InvalidInput) as refused:
        form.check()
    assert [e.field for e in refused.value.errors] == ["time"]
