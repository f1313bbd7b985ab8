"""The pages' one map from domain errors to Danish (ksp.web.messages): every problem type
the API knows has a sentence that says what to do, every field rule of the domain's forms a
Danish message, and none of them is the English of the API."""

from __future__ import annotations

import pytest

from ksp.api.problems import PROBLEMS
from ksp.domain import errors
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
    ],
)
def test_a_field_rule_becomes_a_danish_message(rule: str, danish: str) -> None:
    assert danish in field_message(rule)


def test_an_unknown_field_rule_still_gets_danish_not_the_english_rule() -> None:
    assert field_message("some rule added later") == FALLBACK_FIELD
