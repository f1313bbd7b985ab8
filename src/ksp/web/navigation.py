"""The main menu of each role: where its journeys start. One list per role; a new page that
starts a journey adds its link here."""

from __future__ import annotations

from dataclasses import dataclass

from ksp.domain.access import Role

__all__ = ["NAVIGATION", "Link", "navigation_of"]


@dataclass(frozen=True, slots=True)
class Link:
    text: str
    href: str


NAVIGATION: dict[Role, tuple[Link, ...]] = {
    Role.ARREST: (
        Link("Forside", "/"),
        Link("Enhedens sager", "/sager"),
        Link("Indstil en sag", "/sager/ny"),
        Link("Mine opgaver", "/opgaver"),
        Link("Udvekslinger", "/udvekslinger"),
    ),
    Role.KIF: (
        Link("Forside", "/"),
        Link("Visitering", "/indbakke"),
        Link("Sager", "/sager"),
        Link("Møder", "/moeder"),
        Link("Modtagere", "/modtagere"),
        Link("Henvendelser", "/henvendelser"),
        Link("Handlinger", "/handlinger"),
        Link("Arbejdsliste", "/arbejdsliste"),
    ),
    Role.PARTICIPANT: (
        Link("Forside", "/"),
        Link("Møder", "/moeder"),
        Link("Handlinger", "/handlinger"),
    ),
    Role.AUDITOR: (
        Link("Forside", "/"),
        Link("Revision", "/revision"),
        Link("Søg i adgangsloggen", "/revision/adgangslog"),
    ),
}


def navigation_of(role: Role | None) -> tuple[Link, ...]:
    return () if role is None else NAVIGATION.get(role, ())
