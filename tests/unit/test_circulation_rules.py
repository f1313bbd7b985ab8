"""The rule for circulating a version (ksp.domain.circulation.check_circulation)."""

from __future__ import annotations

import pytest

from ksp.domain.circulation import MAX_REASON, check_circulation
from ksp.domain.errors import AlreadyCirculated, InvalidInput


def test_a_version_is_circulated_once_unless_again_on_purpose_guide_3_3_7() -> None:
    """Guide 3.3.7: "KiF-repræsentanten har ansvar for - inden et KSP-møde - at rundsende
    listen til mødets deltagere": once; a second identical mail needs a decision."""
    check_circulation(circulated_before=False, again=False, reason=None)
    with pytest.raises(AlreadyCirculated):
        check_circulation(circulated_before=True, again=False, reason=None)
    check_circulation(circulated_before=True, again=True, reason="Mistet")


@pytest.mark.parametrize(
    ("again", "reason", "field"),
    [
        (True, None, "reason"),
        (True, " ", "reason"),
        (True, "x" * (MAX_REASON + 1), "reason"),
        (True, "Igen\x00", "reason"),
        (True, "Igen\u200b", "reason"),
        (False, "Igen", "again"),
    ],
)
def test_again_needs_a_reason_and_a_reason_needs_again(
    again: bool, reason: str | None, field: str
) -> None:
    """A reason is recorded only with ``again``, and ``again`` only with a reason."""
    with pytest.raises(InvalidInput) as refused:
        check_circulation(circulated_before=True, again=again, reason=reason)
    assert [e.field for e in refused.value.errors] == [field]
