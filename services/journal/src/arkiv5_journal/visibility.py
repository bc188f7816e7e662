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

from datetime import date
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from arkiv5_contracts.codelists import (
    Avskrivningsmaate,
    Dokumenttype,
    Journalposttype,
    Journalstatus,
    Korrespondanseparttype,
    PartRolle,
    Saksstatus,
    SkjermingMetadata,
    Tilgangsrestriksjon,
    TilknyttetRegistreringSom,
    Variantformat,
)
from arkiv5_contracts.policy import Action
from arkiv5_kit.auth import Principal as Caller
from arkiv5_kit.errors import Forbidden

from .authz import access
from .domain import numbering, screening
from .domain.numbering import today_in_oslo
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
    AvskrivningOut,
    DokumentbeskrivelseOut,
    DokumentobjektOut,
    JournalpostOut,
    KorrespondansepartOut,
    MerknadOut,
    PartOut,
    SaksmappeOut,
    SkjermingOut,
)
from .store.repository import dokumentbeskrivelser

MASK = screening.MASK
active_codes = screening.active_codes
journalpost_codes = screening.journalpost_codes


def _skjerming(row: Saksmappe | Journalpost) -> SkjermingOut | None:
    if not row.tilgangsrestriksjon:
        return None
    return SkjermingOut(
        tilgangsrestriksjon=Tilgangsrestriksjon(row.tilgangsrestriksjon),
        skjermingshjemmel=row.skjermingshjemmel or "",
        skjerming_metadata=[SkjermingMetadata(c) for c in row.skjerming_metadata],
        skjerming_opphoerer_dato=row.skjerming_opphoerer_dato,
    )


async def _saksmappe_out(session: AsyncSession, saksmappe: Saksmappe, *, masked: bool) -> SaksmappeOut:
    today = today_in_oslo()
    codes = active_codes(saksmappe, today) if masked else []
    klasse = await session.get(Klasse, saksmappe.klasse_id) if saksmappe.klasse_id else None
    parts = (await session.execute(select(Part).where(col(Part.saksmappe_id) == saksmappe.system_id))).scalars()
    hide_parts = screening.screens(codes, screening.PARTY_CODES)
    return SaksmappeOut(
        system_id=saksmappe.system_id, mappe_id=saksmappe.mappe_id, saksaar=saksmappe.saksaar,
        sakssekvensnummer=saksmappe.sakssekvensnummer, saksdato=saksmappe.saksdato,
        tittel=saksmappe.offentlig_tittel if screening.screens(codes, screening.TITLE_CODES_MAPPE) else saksmappe.tittel,
        offentlig_tittel=saksmappe.offentlig_tittel, administrativ_enhet=saksmappe.administrativ_enhet_id,
        saksansvarlig=saksmappe.saksansvarlig_id, saksstatus=Saksstatus(saksmappe.saksstatus),
        klasse=(MASK if screening.screens(codes, screening.CLASS_CODES) else klasse.klasse_id) if klasse else None,
        sekundaerklassifikasjon=(MASK if masked and saksmappe.sekundaer_klassifikasjon else saksmappe.sekundaer_klassifikasjon),
        avsluttet_dato=saksmappe.avsluttet_dato, skjerming=_skjerming(saksmappe),
        part=[PartOut(system_id=p.system_id, part_navn=MASK if hide_parts else p.part_navn,
                      part_rolle=PartRolle(p.part_rolle),
                      foedselsnummer=(MASK if p.foedselsnummer else None) if masked else p.foedselsnummer)
              for p in parts],
        opprettet_dato=saksmappe.opprettet_dato, opprettet_av=saksmappe.opprettet_av, er_skjermet_for_deg=bool(codes),
    )


def korrespondansepart_out(part: Korrespondansepart, codes: list[str], *, masked: bool) -> KorrespondansepartOut:
    wanted = screening.SENDER_CODES if part.korrespondanseparttype in screening.SENDER_TYPES else screening.RECIPIENT_CODES
    hide = screening.screens(codes, wanted)
    return KorrespondansepartOut(
        system_id=part.system_id, korrespondanseparttype=Korrespondanseparttype(part.korrespondanseparttype),
        korrespondansepart_navn=MASK if hide else part.korrespondansepart_navn,
        # Identity numbers and addresses are for authorised case work only.
        foedselsnummer=None if masked else part.foedselsnummer,
        organisasjonsnummer=None if hide else part.organisasjonsnummer,
        postadresse=[] if hide or masked else part.postadresse,
        postnummer=None if hide or masked else part.postnummer,
        poststed=None if hide or masked else part.poststed,
        land=None if hide or masked else part.land,
        epostadresse=None if hide or masked else part.epostadresse,
        telefonnummer=None if hide or masked else part.telefonnummer,
        kontaktperson=None if hide or masked else part.kontaktperson,
        administrativ_enhet=part.administrativ_enhet_id, saksbehandler=part.saksbehandler_id,
        forsendelse_status=part.forsendelse_status, forsendelse_feilkode=part.forsendelse_feilkode,
        forsendelse_feil=None if masked else part.forsendelse_feil,
    )


async def journalposter_out(
    session: AsyncSession, rows: list[tuple[Journalpost, Saksmappe]], *, masked_ids: set[UUID], detail: bool = True
) -> list[JournalpostOut]:
    today = today_in_oslo()
    ids = [j.system_id for j, _ in rows]
    parts: dict[UUID, list[Korrespondansepart]] = {}
    avskrivninger: dict[UUID, list[Avskrivning]] = {}
    merknader: dict[UUID, list[Merknad]] = {}
    documents = {}
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
                            documents=documents.get(journalpost.system_id, []))
            for journalpost, saksmappe in rows]


def journalpost_out(
    journalpost: Journalpost, saksmappe: Saksmappe, *, today: date, masked: bool, parts: list[Korrespondansepart],
    avskrivninger: list[Avskrivning], merknader: list[Merknad],
    documents: list[tuple[Dokumentbeskrivelse, list[Dokumentobjekt]]],
) -> JournalpostOut:
    """One journalpost with its parts, as a caller who may (masked=False) or may not see screened fields."""
    codes = journalpost_codes(journalpost, saksmappe, today) if masked else []
    hide_title = screening.screens(codes, screening.TITLE_CODES_REGISTRERING)
    hide_doc_titles = screening.screens(codes, screening.DOCUMENT_TITLE_CODES) or hide_title
    hide_remarks = screening.screens(codes, screening.REMARK_CODES)
    return JournalpostOut(
        system_id=journalpost.system_id, saksmappe=saksmappe.system_id, mappe_id=saksmappe.mappe_id,
        journalaar=journalpost.journalaar, journalsekvensnummer=numbering.journalsekvensnummer_of(journalpost),
        journalpostnummer=journalpost.journalpostnummer,
        journalposttype=Journalposttype(journalpost.journalposttype),
        journalstatus=Journalstatus(journalpost.journalstatus), journaldato=journalpost.journaldato,
        tittel=journalpost.offentlig_tittel if hide_title else journalpost.tittel,
        offentlig_tittel=journalpost.offentlig_tittel, er_vedtak=journalpost.er_vedtak,
        dokumentets_dato=journalpost.dokumentets_dato, mottatt_dato=journalpost.mottatt_dato,
        sendt_dato=journalpost.sendt_dato, forfallsdato=journalpost.forfallsdato,
        offentlighetsvurdert_dato=journalpost.offentlighetsvurdert_dato,
        administrativ_enhet=journalpost.administrativ_enhet_id, saksbehandler=journalpost.saksbehandler_id,
        skjerming=_skjerming(journalpost), er_etterregistrert=journalpost.er_etterregistrert,
        har_forsendelsesfeil=journalpost.har_forsendelsesfeil,
        korrespondansepart=[korrespondansepart_out(p, codes, masked=masked) for p in parts],
        avskrivning=[AvskrivningOut(
            system_id=a.system_id, avskrivningsdato=a.avskrivningsdato, avskrevet_av=a.avskrevet_av,
            avskrivningsmaate=Avskrivningsmaate(a.avskrivningsmaate),
            referanse_avskrives_av_journalpost=a.referanse_avskrives_av_journalpost)
            for a in avskrivninger],
        merknad=[merknad_out(m, hide=hide_remarks) for m in merknader],
        dokumentbeskrivelse=[dokumentbeskrivelse_out(b, objekter, hide_title=hide_doc_titles, masked=masked)
                             for b, objekter in documents],
        opprettet_dato=journalpost.opprettet_dato, opprettet_av=journalpost.opprettet_av,
        er_skjermet_for_deg=bool(codes),
    )


async def may_see_screened_journalpost(
    session: AsyncSession, caller: Caller, journalpost: Journalpost, saksmappe: Saksmappe, *, answer: bool = False
) -> bool:
    """Whether the caller may read the journalpost at all (True) — raises Forbidden otherwise —
    and, through the return value, whether screened fields may be shown.

    For the answer to a write (`answer=True`) the write's own rule stood in for the read
    check; the screened fields still need clearance.
    """
    today = today_in_oslo()
    resource = await access.journalpost_resource(session, journalpost, saksmappe, today)
    if not answer:
        await access.authorize(session, caller, Action.READ, resource)
    if not journalpost_codes(journalpost, saksmappe, today):
        return True
    return await access.is_allowed(session, caller, Action.READ_SCREENED, resource)


async def may_see_screened_saksmappe(session: AsyncSession, caller: Caller, saksmappe: Saksmappe, *,
                                     answer: bool = False) -> bool:
    """As `may_see_screened_journalpost`, for a case."""
    today = today_in_oslo()
    resource = await access.saksmappe_resource(session, saksmappe, today)
    if not answer:
        await access.authorize(session, caller, Action.READ, resource)
    if not active_codes(saksmappe, today) and not saksmappe.sekundaer_klassifikasjon:
        return True
    return await access.is_allowed(session, caller, Action.READ_SCREENED, resource)


def dokumentobjekt_out(o: Dokumentobjekt, *, masked: bool = False) -> DokumentobjektOut:
    """A dokumentobjekt; masked drops the file name (it may name the person)."""
    return DokumentobjektOut(
        system_id=o.system_id, versjonsnummer=o.versjonsnummer, variantformat=Variantformat(o.variantformat),
        format=o.format, format_detaljer=o.format_detaljer, sjekksum=o.sjekksum,
        sjekksum_algoritme=o.sjekksum_algoritme, filstoerrelse=o.filstoerrelse,
        filnavn=None if masked else o.filnavn)


def dokumentbeskrivelse_out(b: Dokumentbeskrivelse, objekter: list[Dokumentobjekt], *, hide_title: bool,
                            masked: bool) -> DokumentbeskrivelseOut:
    return DokumentbeskrivelseOut(
        system_id=b.system_id, dokumentnummer=b.dokumentnummer, tittel=MASK if hide_title else b.tittel,
        dokumenttype=Dokumenttype(b.dokumenttype) if b.dokumenttype else None,
        tilknyttet_registrering_som=TilknyttetRegistreringSom(b.tilknyttet_registrering_som),
        tilknyttet_dato=b.tilknyttet_dato, skanning_kontrollert=b.skanning_kontrollert,
        dokumentobjekt=[dokumentobjekt_out(o, masked=masked) for o in objekter])


def merknad_out(m: Merknad, *, hide: bool) -> MerknadOut:
    return MerknadOut(system_id=m.system_id, merknadstekst=MASK if hide else m.merknadstekst,
                      merknadstype=m.merknadstype, merknadsdato=m.merknadsdato,
                      merknad_registrert_av=m.merknad_registrert_av)


# --- the decisions, for callers -----------------------------------------------------------


async def saksmappe(session: AsyncSession, caller: Caller, saksmappe: Saksmappe, *,
                    merknader: list[Merknad] | None = None, answer: bool = False) -> SaksmappeOut:
    """A case as the caller may see it (403 if not at all), with its own remarks when given.

    `answer=True` renders the answer to a write the caller was allowed to make.
    """
    full = await may_see_screened_saksmappe(session, caller, saksmappe, answer=answer)
    out = await _saksmappe_out(session, saksmappe, masked=not full)
    if merknader is not None:
        out.merknad = saksmappe_merknader(saksmappe, merknader, full=full)
    return out


def saksmappe_merknader(saksmappe: Saksmappe, merknader: list[Merknad], *, full: bool) -> list[MerknadOut]:
    # The text is masked where the case screens remarks (MT).
    hide = not full and screening.screens(active_codes(saksmappe, today_in_oslo()), screening.REMARK_CODES)
    return [merknad_out(m, hide=hide) for m in merknader]


async def saksmappe_merknader_for(session: AsyncSession, caller: Caller, saksmappe: Saksmappe,
                                  merknader: list[Merknad]) -> list[MerknadOut]:
    return saksmappe_merknader(saksmappe, merknader,
                               full=await may_see_screened_saksmappe(session, caller, saksmappe))


async def journalposter(session: AsyncSession, caller: Caller, rows: list[tuple[Journalpost, Saksmappe]], *,
                        detail: bool = True, answer: bool = False) -> list[JournalpostOut]:
    """Journalposts as the caller may see each (403 if one may not be read at all)."""
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
    if not journalpost_codes(journalpost, saksmappe, today_in_oslo()):
        return True
    return await may_see_screened_journalpost(session, caller, journalpost, saksmappe, answer=True)


def registered_journalpost(journalpost: Journalpost, saksmappe: Saksmappe, *, full: bool,
                           parts: list[Korrespondansepart],
                           documents: list[tuple[Dokumentbeskrivelse, list[Dokumentobjekt]]]) -> JournalpostOut:
    """The answer to a registration, rendered from what was written (no read back)."""
    return journalpost_out(journalpost, saksmappe, today=journalpost.journaldato, masked=not full, parts=parts,
                           avskrivninger=[], merknader=[], documents=documents)


async def dokumentbeskrivelse(session: AsyncSession, caller: Caller, journalpost: Journalpost, saksmappe: Saksmappe,
                              beskrivelse: Dokumentbeskrivelse, objekter: list[Dokumentobjekt], *,
                              answer: bool = False) -> DokumentbeskrivelseOut:
    """A document as the caller may see it, masked as its journalpost is."""
    full = await may_see_screened_journalpost(session, caller, journalpost, saksmappe, answer=answer)
    codes = [] if full else journalpost_codes(journalpost, saksmappe, today_in_oslo())
    hide_title = screening.screens(codes, screening.DOCUMENT_TITLE_CODES | screening.TITLE_CODES_REGISTRERING)
    return dokumentbeskrivelse_out(beskrivelse, objekter, hide_title=hide_title, masked=not full)


async def journalpost_merknad(session: AsyncSession, caller: Caller, journalpost: Journalpost, saksmappe: Saksmappe,
                              merknad: Merknad, *, answer: bool = False) -> MerknadOut:
    full = await may_see_screened_journalpost(session, caller, journalpost, saksmappe, answer=answer)
    codes = [] if full else journalpost_codes(journalpost, saksmappe, today_in_oslo())
    return merknad_out(merknad, hide=screening.screens(codes, screening.REMARK_CODES))


async def require_full_view(session: AsyncSession, caller: Caller, journalpost: Journalpost | None,
                            saksmappe: Saksmappe) -> None:
    """For content shown only in full (the change log): 403 unless the caller is cleared."""
    if journalpost is not None:
        full = await may_see_screened_journalpost(session, caller, journalpost, saksmappe)
    else:
        full = await may_see_screened_saksmappe(session, caller, saksmappe)
    if not full:
        raise Forbidden("The change log of a screened record needs clearance for its access code.")
