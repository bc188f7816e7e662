"""The screened words of cases: what a caller without clearance never sees in any field.

Read for the visibility module (every way out) from what is stored: the words marked
skjermet (read back from each title and its offentligTittel) and the parties of a case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from ..domain import screening
from ..domain.numbering import today_in_oslo
from ..models import Journalpost, Korrespondansepart, Part, Saksmappe


@dataclass
class Words:
    """The screened words of some cases and of their journalposts, longest first."""

    cases: dict[UUID, list[str]] = field(default_factory=dict)
    posts: dict[UUID, list[str]] = field(default_factory=dict)

    def of_case(self, saksmappe_id: UUID) -> list[str]:
        return self.cases.get(saksmappe_id, [])

    def of_post(self, journalpost_id: UUID, saksmappe_id: UUID) -> list[str]:
        return self.posts.get(journalpost_id) or self.of_case(saksmappe_id)


def _longest_first(words: list[str]) -> list[str]:
    return sorted(set(words), key=len, reverse=True)


async def screened_words(session: AsyncSession, saksmapper: list[Saksmappe], *,
                         today: date | None = None) -> Words:
    """The words a caller without clearance never sees in any field of these cases.

    Of a journalpost: the words marked skjermet on it and on its case. Of a case: those
    marked on it and on any of its journalposts. A screened case (a client's case first)
    adds, to both, every word marked in it and the names and numbers of its parties — the
    saksmappe's parts and every korrespondansepart — whether or not anyone marked them.
    A case's screening is judged in force on `today` (default: the Oslo date), so a caller
    that judges the rest on another day (the export, on the decision day) passes that one.
    """
    today = today or today_in_oslo()
    by_id = {s.system_id: s for s in saksmapper}
    own = {s.system_id: screening.marked_words(s.tittel, s.offentlig_tittel) for s in by_id.values()}
    cases = {i: list(words) for i, words in own.items()}
    posts: dict[UUID, tuple[UUID, list[str]]] = {}
    if not by_id:
        return Words()
    for journalpost_id, saksmappe_id, tittel, offentlig in (await session.execute(
            select(col(Journalpost.system_id), col(Journalpost.saksmappe_id), col(Journalpost.tittel),
                   col(Journalpost.offentlig_tittel)).where(col(Journalpost.saksmappe_id).in_(list(by_id))))).all():
        marked = screening.marked_words(tittel, offentlig)
        cases[saksmappe_id] += marked
        posts[journalpost_id] = (saksmappe_id, own[saksmappe_id] + marked)
    screened = [i for i, s in by_id.items() if screening.active_codes(s, today)]
    if screened:
        for p in (await session.execute(select(Part).where(col(Part.saksmappe_id).in_(screened)))).scalars():
            cases[p.saksmappe_id] += screening.party_words([p.part_navn], [p.foedselsnummer, p.organisasjonsnummer])
        for saksmappe_id, k in (await session.execute(
                select(col(Journalpost.saksmappe_id), Korrespondansepart)
                .join(Journalpost, col(Journalpost.system_id) == col(Korrespondansepart.journalpost_id))
                .where(col(Journalpost.saksmappe_id).in_(screened)))).all():
            cases[saksmappe_id] += screening.party_words(
                [k.korrespondansepart_navn, k.kontaktperson], [k.foedselsnummer, k.organisasjonsnummer])
    return Words(
        cases={i: _longest_first(words) for i, words in cases.items()},
        posts={jp: _longest_first(cases[case] if case in screened else words) for jp, (case, words) in posts.items()})
