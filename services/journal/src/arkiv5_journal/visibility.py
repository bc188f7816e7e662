"""What a caller may see: one module decides it, every response goes through it.

Reads, lists, search, reports and the answers to writes (create, correct, close, sign off,
status changes) all render a saksmappe, journalpost, document, party, remark or change-log
row here: in full for a caller cleared for its screening, otherwise with every screened
field replaced — titles become offentligTittel, screened names and addresses become
*****, and a fødselsnummer never leaves unmasked. The public journal uses the same rules.
A new renderer (an export, another API) calls the functions here instead of building the
output models itself.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from arkiv5_kit.auth import Principal as Caller
from arkiv5_kit.errors import Forbidden

from . import masking
from .authz import access, sporing
from .domain import screening
from .masking import (
    dokumentbeskrivelse_out,
    journalpost_out,
    merknad_out,
    saksmappe_out,
)
from .models import (
    Avskrivning,
    Dokumentbeskrivelse,
    Dokumentobjekt,
    Journalpost,
    Klasse,
    Korrespondansepart,
    Merknad,
    Part,
    Saksmappe,
)
from .schemas import (
    DokumentbeskrivelseOut,
    JournalpostOut,
    MerknadOut,
    SaksmappeOut,
)
from .store import screened
from .store.repository import dokumentbeskrivelser

MASK = screening.MASK
active_codes = screening.active_codes
journalpost_codes = screening.journalpost_codes
_screen = screening.screen_text
screened_words = screened.screened_words
# The use cases render a party through visibility, as every other answer.
hides_party = masking.hides_party
korrespondansepart_out = masking.korrespondansepart_out


def registration_words(journalpost: Journalpost, saksmappe: Saksmappe, parts: list[Korrespondansepart]) -> list[str]:
    """The screened words known from a registration alone (its answer is rendered without a read)."""
    words = screening.marked_words(saksmappe.tittel, saksmappe.offentlig_tittel)
    words += screening.marked_words(journalpost.tittel, journalpost.offentlig_tittel)
    if active_codes(saksmappe, journalpost.journaldato):
        words += screening.party_words([p.korrespondansepart_navn for p in parts],
                                       [n for p in parts for n in (p.foedselsnummer, p.organisasjonsnummer)])
    return words


async def _saksmappe_out(session: AsyncSession, saksmappe: Saksmappe, *, masked: bool) -> SaksmappeOut:
    [out] = await _saksmapper_out(session, [(saksmappe, masked)])
    return out


async def _saksmapper_out(session: AsyncSession, rows: list[tuple[Saksmappe, bool]]) -> list[SaksmappeOut]:
    """Cases, each in full or masked, with their klasse, parts and screened words read once for all."""
    today = access.decision_day()
    ids = [saksmappe.system_id for saksmappe, _masked in rows]
    words = await screened_words(session, [saksmappe for saksmappe, masked in rows if masked])
    klasse_ids = {saksmappe.klasse_id for saksmappe, _masked in rows if saksmappe.klasse_id}
    klasser = {k.system_id: k for k in (await session.execute(
        select(Klasse).where(col(Klasse.system_id).in_(klasse_ids)))).scalars()} if klasse_ids else {}
    parts: dict[UUID, list[Part]] = {}
    for p in (await session.execute(select(Part).where(col(Part.saksmappe_id).in_(ids)))).scalars() if ids else []:
        parts.setdefault(p.saksmappe_id, []).append(p)
    return [saksmappe_out(saksmappe, today=today, masked=masked, words=words.of_case(saksmappe.system_id) if masked else [],
                          klasse=klasser.get(saksmappe.klasse_id) if saksmappe.klasse_id else None,
                          parts=parts.get(saksmappe.system_id, []))
            for saksmappe, masked in rows]


async def journalposter_out(
    session: AsyncSession, rows: list[tuple[Journalpost, Saksmappe]], *, masked_ids: set[UUID], detail: bool = True
) -> list[JournalpostOut]:
    today = access.decision_day()
    ids = [j.system_id for j, _ in rows]
    parts: dict[UUID, list[Korrespondansepart]] = {}
    avskrivninger: dict[UUID, list[Avskrivning]] = {}
    merknader: dict[UUID, list[Merknad]] = {}
    documents = {}
    words = await screened_words(session, list({s.system_id: s for j, s in rows if j.system_id in masked_ids}.values()))
    if ids:
        for p in (await session.execute(select(Korrespondansepart).where(
                col(Korrespondansepart.journalpost_id).in_(ids)))).scalars():
            parts.setdefault(p.journalpost_id, []).append(p)
        if detail:
            for a in (await session.execute(select(Avskrivning).where(
                    col(Avskrivning.journalpost_id).in_(ids)))).scalars():
                avskrivninger.setdefault(a.journalpost_id, []).append(a)
            for m in (await session.execute(select(Merknad).where(
                    col(Merknad.journalpost_id).in_(ids)).order_by(col(Merknad.merknadsdato)))).scalars():
                if m.journalpost_id is not None:
                    merknader.setdefault(m.journalpost_id, []).append(m)
            documents = await dokumentbeskrivelser(session, ids)
    return [journalpost_out(journalpost, saksmappe, today=today, masked=journalpost.system_id in masked_ids,
                            parts=parts.get(journalpost.system_id, []),
                            avskrivninger=avskrivninger.get(journalpost.system_id, []),
                            merknader=merknader.get(journalpost.system_id, []),
                            documents=documents.get(journalpost.system_id, []),
                            words=words.of_post(journalpost.system_id, saksmappe.system_id))
            for journalpost, saksmappe in rows]


async def may_see_screened_journalpost(
    session: AsyncSession, caller: Caller, journalpost: Journalpost, saksmappe: Saksmappe, *, answer: bool = False
) -> bool:
    """Whether the caller may read the journalpost at all (True) — raises Forbidden otherwise —
    and, through the return value, whether screened fields may be shown.

    For the answer to a write (`answer=True`) the write's own rule stood in for the read
    check; the screened fields still need clearance.
    """
    today = access.decision_day()
    # The record's access groups narrowed to the caller's, which decide the same: a caller in no
    # group (a fagsystem, most case handlers) needs no query for them on a single read.
    resource = await access.journalpost_resource(session, journalpost, saksmappe, today, caller=caller)
    screened = bool(journalpost_codes(journalpost, saksmappe, today))
    return await sporing.screened_read(session, caller, resource, screened=screened, answer=answer,
                                object_type="journalpost", saksmappe_id=saksmappe.system_id)


async def may_see_screened_saksmappe(session: AsyncSession, caller: Caller, saksmappe: Saksmappe, *,
                                     answer: bool = False) -> bool:
    """As `may_see_screened_journalpost`, for a case."""
    today = access.decision_day()
    resource = await access.saksmappe_resource(session, saksmappe, today)
    screened = bool(active_codes(saksmappe, today)) or bool(saksmappe.sekundaer_klassifikasjon)
    return await sporing.screened_read(session, caller, resource, screened=screened, answer=answer,
                                object_type="saksmappe", saksmappe_id=saksmappe.system_id)


# --- the decisions, for callers -----------------------------------------------------------


async def saksmappe(session: AsyncSession, caller: Caller, saksmappe: Saksmappe, *,
                    merknader: list[Merknad] | None = None, answer: bool = False) -> SaksmappeOut:
    """A case as the caller may see it (403 if not at all), with its own remarks when given.

    `answer=True` renders the answer to a write the caller was allowed to make.
    """
    full = await may_see_screened_saksmappe(session, caller, saksmappe, answer=answer)
    out = await _saksmappe_out(session, saksmappe, masked=not full)
    if merknader is not None:
        out.merknad = await saksmappe_merknader(session, saksmappe, merknader, full=full)
    return out


async def saksmappe_merknader(session: AsyncSession, saksmappe: Saksmappe, merknader: list[Merknad], *,
                              full: bool) -> list[MerknadOut]:
    # The text is masked where the case screens remarks (MT); screened words never show.
    hide = not full and screening.screens(active_codes(saksmappe, access.decision_day()), screening.REMARK_CODES)
    words = [] if full else (await screened_words(session, [saksmappe])).of_case(saksmappe.system_id)
    return [merknad_out(m, hide=hide, words=words) for m in merknader]


async def saksmappe_merknader_for(session: AsyncSession, caller: Caller, saksmappe: Saksmappe,
                                  merknader: list[Merknad]) -> list[MerknadOut]:
    return await saksmappe_merknader(session, saksmappe, merknader,
                                     full=await may_see_screened_saksmappe(session, caller, saksmappe))


async def saksmapper(session: AsyncSession, caller: Caller, rows: list[Saksmappe]) -> list[SaksmappeOut | None]:
    """A page of cases as the caller may see each, None for one it may not read at all.

    The same decisions as `saksmappe` for each; the records' access groups, case handlers,
    klasser, parts and screened words are read once for the page instead of once a case.
    """
    ids = {saksmappe.system_id for saksmappe in rows}
    await access.prefetch_groups(session, saksmappe_ids=ids, journalpost_ids=set())
    await access.prefetch_handlers(session, ids)
    decided: list[tuple[Saksmappe, bool] | None] = []
    for saksmappe in rows:
        try:
            decided.append((saksmappe, not await may_see_screened_saksmappe(session, caller, saksmappe)))
        except Forbidden:
            decided.append(None)
    shown = iter(await _saksmapper_out(session, [d for d in decided if d is not None]))
    return [None if d is None else next(shown) for d in decided]


async def journalposter(session: AsyncSession, caller: Caller, rows: list[tuple[Journalpost, Saksmappe]], *,
                        detail: bool = True, answer: bool = False) -> list[JournalpostOut]:
    """Journalposts as the caller may see each (403 if one may not be read at all)."""
    if len(rows) > 1:
        # A list: the access groups of all its records in one query, not one a record.
        await access.prefetch_groups(session, saksmappe_ids={s.system_id for _j, s in rows},
                                     journalpost_ids={j.system_id for j, _s in rows})
    masked = {journalpost.system_id for journalpost, saksmappe in rows
              if not await may_see_screened_journalpost(session, caller, journalpost, saksmappe, answer=answer)}
    return await journalposter_out(session, rows, masked_ids=masked, detail=detail)


async def journalpost(session: AsyncSession, caller: Caller, journalpost: Journalpost, saksmappe: Saksmappe, *,
                      answer: bool = False) -> JournalpostOut:
    [out] = await journalposter(session, caller, [(journalpost, saksmappe)], answer=answer)
    return out


async def may_see_registration(session: AsyncSession, caller: Caller, journalpost: Journalpost,
                               saksmappe: Saksmappe) -> bool:
    """Whether the registering caller sees the new journalpost in full; nothing screened needs no look-up."""
    if not journalpost_codes(journalpost, saksmappe, access.decision_day()):
        return True
    return await may_see_screened_journalpost(session, caller, journalpost, saksmappe, answer=True)


def registered_journalpost(journalpost: Journalpost, saksmappe: Saksmappe, *, full: bool,
                           parts: list[Korrespondansepart],
                           documents: list[tuple[Dokumentbeskrivelse, list[Dokumentobjekt]]]) -> JournalpostOut:
    """The answer to a registration, rendered from what was written (no read back)."""
    return journalpost_out(journalpost, saksmappe, today=journalpost.journaldato, masked=not full, parts=parts,
                           avskrivninger=[], merknader=[], documents=documents,
                           words=[] if full else registration_words(journalpost, saksmappe, parts))


async def dokumentbeskrivelse(session: AsyncSession, caller: Caller, journalpost: Journalpost, saksmappe: Saksmappe,
                              beskrivelse: Dokumentbeskrivelse, objekter: list[Dokumentobjekt], *,
                              answer: bool = False) -> DokumentbeskrivelseOut:
    """A document as the caller may see it, masked as its journalpost is."""
    full = await may_see_screened_journalpost(session, caller, journalpost, saksmappe, answer=answer)
    codes = [] if full else journalpost_codes(journalpost, saksmappe, access.decision_day())
    hide_title = screening.screens(codes, screening.DOCUMENT_TITLE_CODES | screening.TITLE_CODES_REGISTRERING)
    words = [] if full else (await screened_words(session, [saksmappe])).of_post(journalpost.system_id,
                                                                                 saksmappe.system_id)
    return dokumentbeskrivelse_out(beskrivelse, objekter, hide_title=hide_title, masked=not full, words=words)


async def journalpost_merknad(session: AsyncSession, caller: Caller, journalpost: Journalpost, saksmappe: Saksmappe,
                              merknad: Merknad, *, answer: bool = False) -> MerknadOut:
    full = await may_see_screened_journalpost(session, caller, journalpost, saksmappe, answer=answer)
    codes = [] if full else journalpost_codes(journalpost, saksmappe, access.decision_day())
    words = [] if full else (await screened_words(session, [saksmappe])).of_post(journalpost.system_id,
                                                                                 saksmappe.system_id)
    return merknad_out(merknad, hide=screening.screens(codes, screening.REMARK_CODES), words=words)


async def require_full_view(session: AsyncSession, caller: Caller, journalpost: Journalpost | None,
                            saksmappe: Saksmappe) -> None:
    """For content shown only in full (the change log): 403 unless the caller is cleared."""
    if journalpost is not None:
        full = await may_see_screened_journalpost(session, caller, journalpost, saksmappe)
    else:
        full = await may_see_screened_saksmappe(session, caller, saksmappe)
    if not full:
        raise Forbidden("The change log of a screened record needs clearance for its access code.")


def screen_text(text: str, words: list[str]) -> str:
    """A text as a caller without clearance sees it: the screened words (`screened_words`) masked."""
    return _screen(text, words)


async def search_hits(session: AsyncSession, caller: Caller, rows: list[tuple[Journalpost, Saksmappe, bool]],
                      terms: list[str]) -> tuple[list[tuple[Journalpost, Saksmappe]], set[UUID]]:
    """Of a page of search hits (journalpost, case, whether the public text matched): those the
    caller may see, and the ids to show masked. A hit on screened words does not exist for a
    caller without clearance — neither one only on the full text nor one whose words are
    screened words of the record (a client's name in a title nobody marked); a hit the caller
    may not read at all is refused (403)."""
    await access.prefetch_groups(session, saksmappe_ids={r[1].system_id for r in rows},
                                 journalpost_ids={r[0].system_id for r in rows})
    visible: list[tuple[Journalpost, Saksmappe]] = []
    masked: set[UUID] = set()
    shown_masked = []
    for journalpost, saksmappe, public_hit in rows:
        full = await may_see_screened_journalpost(session, caller, journalpost, saksmappe)
        if not full and not public_hit:
            continue
        if not full:
            masked.add(journalpost.system_id)
            shown_masked.append(saksmappe)
        visible.append((journalpost, saksmappe))
    if not masked:
        return visible, masked
    words = await screened_words(session, list({s.system_id: s for s in shown_masked}.values()))

    def on_screened_words(journalpost: Journalpost, saksmappe: Saksmappe) -> bool:
        screened = [w.lower() for w in words.of_post(journalpost.system_id, saksmappe.system_id)]
        return any(term in word or word in term for term in terms for word in screened)

    visible = [(j, s) for j, s in visible if j.system_id not in masked or not on_screened_words(j, s)]
    return visible, {j.system_id for j, _ in visible} & masked
