"""The minutes' Danish labels (rendering.MINUTES_DA) cover every value the domain allows, so
a minutes version never fails to render (the template's undefined values are errors)."""

from __future__ import annotations

from enum import StrEnum

import pytest

from ksp.domain.actions import ActionStatus
from ksp.domain.attendance import Agency, AttendeeRole
from ksp.domain.outcomes import OutcomeDecision
from ksp.rendering import MINUTES_DA


@pytest.mark.parametrize(
    ("label", "values"),
    [
        ("agency", Agency),
        ("role", AttendeeRole),
        ("decision", OutcomeDecision),
        ("action_status", ActionStatus),
    ],
)
def test_every_value_has_a_danish_label(label: str, values: type[StrEnum]) -> None:
    assert set(MINUTES_DA[label]) == {v.value for v in values}
    assert all(MINUTES_DA[label].values())
