"""The pages' one map from domain errors to Danish (ksp.web.messages): every problem type
the API knows has a sentence that says what to do, every field rule of the domain's forms a
Danish message, and none of them is the English of the API."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from ksp.api.problems import PROBLEMS
from ksp.domain import errors
from ksp.domain.circulation import Agency, KeyFormat, RecipientDraft, check_recipient
from ksp.domain.meeting_status import MeetingStatus, Reschedule, check_reschedule
from ksp.web.messages import FALLBACK_FIELD, SENTENCES, field_message, sentence_of, slug_of


@pytest.mark.parametrize("kind", sorted({p.slug for p in PROBLEMS.values()}))
def test_every_problem_type_of_the_api_has_a_danish_sentence(kind: str) -> None:
    assert kind in SENTENCES
    assert SENTENCES[kind].endswith(".")


def test_the_remand_rule_is_told_in_danish_with_what_to_do() -> None:
    """Guide 3.3.7: a remand prisoner only with a radicalisation concern."""
    sentence = sentence_of(errors.RemandRequiresRadicalisationConcern())
    assert slug_of(errors.RemandRequiresRadicalisationConcern()) == (
        "remand-requires-radicalisation-concern"
    )
    assert "3.3.7" in sentence
    assert "Sæt kryds i »Bekymring for radikalisering«" in sentence


def test_an_error_of_no_known_type_is_an_internal_one() -> None:
    class Unmapped(errors.KspError):
        pass

    assert slug_of(errors.NotLatestVersion()) == "not-latest-version"
    assert slug_of(Unmapped()) == "internal"


@pytest.mark.parametrize(
    ("rule", "danish"),
    [
        ("must be 1 to 200 characters", "Skriv mellem 1 og 200 tegn."),
        ("must be 10 digits, optionally written DDMMYY-SSSS", "Skriv CPR-nummeret som 10 cifre"),
        ("does not contain a valid birth date", "gyldig fødselsdato"),
        ("is required with a radicalisation concern", "Feltet skal udfyldes."),
        ("is recorded only with a radicalisation concern", "Udfyld kun datoen"),
        ("must not be before detained_since", "»Indsat siden«"),
        ("is not one of the 98 municipalities", "Vælg en af de 98 kommuner."),
        ("name at least one field to correct", "Ret mindst ét felt"),
        ("must name at least one agency", "Vælg mindst én myndighed."),
        ("give either openpgp_key or certificate", "Indsæt modtagerens OpenPGP-nøgle"),
        ("must be a full 64-hex-digit fingerprint", "64 tegn 0-9 og A-F"),
        ("must change scheduled_for, location or title", "intet er ændret"),
        ("is required when a triage is corrected", "rettelsen af visiteringen"),
    ],
)
def test_a_field_rule_becomes_a_danish_message(rule: str, danish: str) -> None:
    assert danish in field_message(rule)


def _refusals() -> list[errors.FieldError]:
    """The domain's own refusals that the recipients, meeting and triage forms show."""
    found: list[errors.FieldError] = []
    draft = RecipientDraft("N", "n@example.dk", Agency.MUNICIPALITY, "kommune-101", None, None)
    smime = dataclasses.replace(draft, key="k", key_format=KeyFormat.SMIME, fingerprint="AB")
    now = dt.datetime(2026, 11, 27, tzinfo=dt.UTC)
    for refused in (
        lambda: check_recipient(draft),
        lambda: check_recipient(smime),
        lambda: check_reschedule(MeetingStatus.PLANNED, Reschedule(reason="R"), now),
    ):
        with pytest.raises(errors.InvalidInput) as caught:
            refused()
        found += caught.value.errors
    return found


def test_the_new_forms_refusals_are_danish_as_the_domain_words_them() -> None:
    """The map is keyed by the domain's words: a reworded rule would fall back, and fail."""
    refusals = _refusals()
    assert {e.field for e in refusals} == {"openpgp_key", "fingerprint", "body"}
    for refusal in refusals:
        assert field_message(refusal.message) != FALLBACK_FIELD, refusal.message


def test_an_unknown_field_rule_still_gets_danish_not_the_english_rule() -> None:
    assert field_message("some rule added later") == FALLBACK_FIELD
