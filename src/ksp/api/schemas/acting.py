"""Bodies of the acting-municipality route."""

from __future__ import annotations

import msgspec

from ksp.api.schemas.common import (
    MunicipalityCode,
    _In,
)

__all__ = ["ActingMunicipalityIn", "ActingMunicipalityOut", "RuleOut"]


class ActingMunicipalityIn(_In):
    kept_home: bool
    previous_municipality_code: MunicipalityCode
    jail_municipality_code: MunicipalityCode
    married_living_together: bool = False
    common_home_municipality_code: MunicipalityCode | None = None
    actual_residence_municipality_code: MunicipalityCode | None = None
    municipalities_disagree: bool = False


class RuleOut(msgspec.Struct, kw_only=True):
    social_services: str
    other_help: str


class ActingMunicipalityOut(msgspec.Struct, kw_only=True):
    social_services_municipality_code: int
    social_services_municipality_name: str  # from the shipped municipality table
    other_help_municipality_code: int
    other_help_municipality_name: str
    rule: RuleOut
