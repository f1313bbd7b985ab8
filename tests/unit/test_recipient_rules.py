"""Recipients' addresses are compared in one normal form, and look-alikes are refused."""

from __future__ import annotations

import pytest

from ksp.domain.circulation import Agency, RecipientDraft, check_recipient, comparable_address
from ksp.domain.errors import InvalidInput

KELVIN = "\u212a"


def draft(email: str) -> RecipientDraft:
    return RecipientDraft("Kim", email, Agency.POLICE, "politi-fyn", "key", None)


@pytest.mark.parametrize("email", [f"{KELVIN}im@x.dk", "kim@x\uff0edk", "\u2126@x.dk", "ﬁ@x.dk"])
def test_an_address_that_changes_under_nfkc_is_refused_naming_the_field(email: str) -> None:
    """Kelvin sign, full-width dot, ohm sign, ligature: refused naming ``email``, not the value."""
    with pytest.raises(InvalidInput) as caught:
        check_recipient(draft(email))
    assert [(e.field, e.message) for e in caught.value.errors] == [
        ("email", "changes under Unicode normalisation (NFKC)")
    ]


def test_addresses_compare_in_nfkc_and_lower_case() -> None:
    """Case does not matter; a look-alike has no comparable form at all."""
    assert comparable_address("Kim@X.dk") == comparable_address("kim@x.dk") == "kim@x.dk"
    assert comparable_address(f"{KELVIN}im@x.dk") is None
    check_recipient(draft("Kim@X.dk"))
