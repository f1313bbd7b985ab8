"""Which municipality acts for a detainee (guide 3.2.1, retssikkerhedsloven § 9).

The guide's lines, in order of precedence here:

- a married citizen living with the spouse belongs to the common home's municipality
  (§ 9 stk. 2);
- where municipalities disagree, the one where the citizen was last registered acts for now,
  until the disagreement is settled (§ 9 stk. 8; guide: "den kommune, som
  varetægtsarrestanten havde folkeregister i sidst, påtager sig den midlertidige
  handleforpligtelse");
- a citizen who kept the home keeps the municipality for all help (§ 9 stk. 1);
- one who lost it keeps it for social-service matters (§ 9 stk. 3), while the municipality
  where the jail lies acts for other help (§ 9 stk. 1).

Actual residence, not the registered address, decides the home municipality.
"""

from __future__ import annotations

from dataclasses import dataclass

from ksp.domain import reference
from ksp.domain.errors import FieldError, InvalidInput

__all__ = ["ActingMunicipality", "Facts", "acting_municipality"]

SECTION_1 = "retssikkerhedsloven § 9, stk. 1"
SECTION_2 = "retssikkerhedsloven § 9, stk. 2"
SECTION_3 = "retssikkerhedsloven § 9, stk. 3"
SECTION_8 = "retssikkerhedsloven § 9, stk. 8"


@dataclass(frozen=True, slots=True)
class Facts:
    kept_home: bool
    previous_municipality_code: int
    jail_municipality_code: int
    married_living_together: bool = False
    common_home_municipality_code: int | None = None
    actual_residence_municipality_code: int | None = None
    municipalities_disagree: bool = False


@dataclass(frozen=True, slots=True)
class ActingMunicipality:
    social_services_municipality_code: int
    social_services_rule: str
    other_help_municipality_code: int
    other_help_rule: str


def _check(facts: Facts) -> None:
    errors = [
        FieldError(name, "is not one of the 98 municipalities")
        for name in (
            "previous_municipality_code",
            "jail_municipality_code",
            "common_home_municipality_code",
            "actual_residence_municipality_code",
        )
        if (code := getattr(facts, name)) is not None and reference.municipality(code) is None
    ]
    if facts.married_living_together and facts.common_home_municipality_code is None:
        errors.append(
            FieldError(
                "common_home_municipality_code", "is required when married and living together"
            )
        )
    if errors:
        raise InvalidInput(errors)


def acting_municipality(facts: Facts) -> ActingMunicipality:
    """Guide 3.2.1: the acting municipality for social-service matters and for other help."""
    _check(facts)
    if facts.married_living_together:
        common = facts.common_home_municipality_code
        assert common is not None
        return ActingMunicipality(common, SECTION_2, common, SECTION_2)
    if facts.municipalities_disagree:
        last = facts.previous_municipality_code
        return ActingMunicipality(last, SECTION_8, last, SECTION_8)
    home = facts.actual_residence_municipality_code or facts.previous_municipality_code
    if facts.kept_home:
        return ActingMunicipality(home, SECTION_1, home, SECTION_1)
    return ActingMunicipality(home, SECTION_3, facts.jail_municipality_code, SECTION_1)
