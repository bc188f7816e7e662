"""The output models of one record, in full or masked: pure functions, no I/O.

`visibility` decides what a caller may see (the policy, the screened words) and calls these to
build the answer; nothing else does (docs/journal.md, the module map). They are apart from
the decisions only to keep each module readable.
"""

from __future__ import annotations

from datetime import date

from arkiv5_contracts.codelists import (
    Avskrivningsmaate,
    Dokumenttype,
    Journalposttype,
    Journalstatus,
    Korrespondanseparttype,
    PartRolle,
    Saksstatus,
    SkjermingMetadata,
    TilknyttetRegistreringSom,
    Variantformat,
)

from .domain import numbering, screening
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

MASK = screening.MASK
active_codes = screening.active_codes
journalpost_codes = screening.journalpost_codes
_screen = screening.screen_text


def _skjerming(row: Saksmappe | Journalpost) -> SkjermingOut | None:
    if not row.tilgangsrestriksjon:
        return None
    return SkjermingOut(
        tilgangsrestriksjon=row.tilgangsrestriksjon,
        skjermingshjemmel=row.skjermingshjemmel or "",
        skjerming_metadata=[SkjermingMetadata(c) for c in row.skjerming_metadata],
        skjerming_opphoerer_dato=row.skjerming_opphoerer_dato,
    )


def saksmappe_out(saksmappe: Saksmappe, *, today: date, masked: bool, words: list[str], klasse: Klasse | None,
                  parts: list[Part]) -> SaksmappeOut:
    """One case as a caller who may (masked=False) or may not see its screened fields."""
    codes = active_codes(saksmappe, today) if masked else []
    hide_parts = screening.screens(codes, screening.PARTY_CODES)
    return SaksmappeOut(
        system_id=saksmappe.system_id, mappe_id=saksmappe.mappe_id, saksaar=saksmappe.saksaar,
        sakssekvensnummer=saksmappe.sakssekvensnummer, saksdato=saksmappe.saksdato,
        tittel=_screen(saksmappe.offentlig_tittel if screening.screens(codes, screening.TITLE_CODES_MAPPE)
                       else saksmappe.tittel, words),
        offentlig_tittel=_screen(saksmappe.offentlig_tittel, words), administrativ_enhet=saksmappe.administrativ_enhet_id,
        saksansvarlig=saksmappe.saksansvarlig_id, saksstatus=Saksstatus(saksmappe.saksstatus),
        klasse=(MASK if screening.screens(codes, screening.CLASS_CODES) else klasse.klasse_id) if klasse else None,
        sekundaerklassifikasjon=(MASK if masked and saksmappe.sekundaer_klassifikasjon else saksmappe.sekundaer_klassifikasjon),
        avsluttet_dato=saksmappe.avsluttet_dato, skjerming=_skjerming(saksmappe),
        part=[PartOut(system_id=p.system_id, part_navn=MASK if hide_parts else _screen(p.part_navn, words),
                      part_rolle=PartRolle(p.part_rolle),
                      foedselsnummer=(MASK if p.foedselsnummer else None) if masked else p.foedselsnummer)
              for p in parts],
        opprettet_dato=saksmappe.opprettet_dato, opprettet_av=saksmappe.opprettet_av, er_skjermet_for_deg=bool(codes),
    )


def hides_party(part: Korrespondansepart, codes: list[str]) -> bool:
    """Whether a journalpost's screened fields (`journalpost_codes`) hide this party's name and address."""
    return screening.screens(codes, screening.SENDER_CODES if part.korrespondanseparttype in screening.SENDER_TYPES
                             else screening.RECIPIENT_CODES)


def korrespondansepart_out(part: Korrespondansepart, codes: list[str], *, masked: bool,
                           words: list[str] | None = None) -> KorrespondansepartOut:
    hide = hides_party(part, codes)
    return KorrespondansepartOut(
        system_id=part.system_id, korrespondanseparttype=Korrespondanseparttype(part.korrespondanseparttype),
        korrespondansepart_navn=MASK if hide else _screen(part.korrespondansepart_navn, words or []),
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


def journalpost_out(
    journalpost: Journalpost, saksmappe: Saksmappe, *, today: date, masked: bool, parts: list[Korrespondansepart],
    avskrivninger: list[Avskrivning], merknader: list[Merknad],
    documents: list[tuple[Dokumentbeskrivelse, list[Dokumentobjekt]]], words: list[str] | None = None,
) -> JournalpostOut:
    """One journalpost with its parts, as a caller who may (masked=False) or may not see screened fields.

    For a masked caller `words` (see `screened_words`) are screened in every text field.
    """
    codes = journalpost_codes(journalpost, saksmappe, today) if masked else []
    words = (words or []) if masked else []
    hide_title = screening.screens(codes, screening.TITLE_CODES_REGISTRERING)
    hide_doc_titles = screening.screens(codes, screening.DOCUMENT_TITLE_CODES) or hide_title
    hide_remarks = screening.screens(codes, screening.REMARK_CODES)
    return JournalpostOut(
        system_id=journalpost.system_id, saksmappe=saksmappe.system_id, mappe_id=saksmappe.mappe_id,
        journalaar=journalpost.journalaar, journalsekvensnummer=numbering.journalsekvensnummer_of(journalpost),
        journalpostnummer=journalpost.journalpostnummer,
        journalposttype=Journalposttype(journalpost.journalposttype),
        journalstatus=Journalstatus(journalpost.journalstatus), journaldato=journalpost.journaldato,
        tittel=_screen(journalpost.offentlig_tittel if hide_title else journalpost.tittel, words),
        offentlig_tittel=_screen(journalpost.offentlig_tittel, words), er_vedtak=journalpost.er_vedtak,
        dokumentets_dato=journalpost.dokumentets_dato, mottatt_dato=journalpost.mottatt_dato,
        sendt_dato=journalpost.sendt_dato, forfallsdato=journalpost.forfallsdato,
        offentlighetsvurdert_dato=journalpost.offentlighetsvurdert_dato,
        administrativ_enhet=journalpost.administrativ_enhet_id, saksbehandler=journalpost.saksbehandler_id,
        skjerming=_skjerming(journalpost), er_etterregistrert=journalpost.er_etterregistrert,
        har_forsendelsesfeil=journalpost.har_forsendelsesfeil,
        korrespondansepart=[korrespondansepart_out(p, codes, masked=masked, words=words) for p in parts],
        avskrivning=[AvskrivningOut(
            system_id=a.system_id, avskrivningsdato=a.avskrivningsdato, avskrevet_av=a.avskrevet_av,
            avskrivningsmaate=Avskrivningsmaate(a.avskrivningsmaate),
            referanse_avskrives_av_journalpost=a.referanse_avskrives_av_journalpost)
            for a in avskrivninger],
        merknad=[merknad_out(m, hide=hide_remarks, words=words) for m in merknader],
        dokumentbeskrivelse=[dokumentbeskrivelse_out(b, objekter, hide_title=hide_doc_titles, masked=masked,
                                                     words=words)
                             for b, objekter in documents],
        opprettet_dato=journalpost.opprettet_dato, opprettet_av=journalpost.opprettet_av,
        er_skjermet_for_deg=bool(codes),
    )


def dokumentobjekt_out(o: Dokumentobjekt, *, masked: bool = False) -> DokumentobjektOut:
    """A dokumentobjekt; masked drops the file names (they may name the person)."""
    return DokumentobjektOut(
        system_id=o.system_id, versjonsnummer=o.versjonsnummer, variantformat=Variantformat(o.variantformat),
        format=o.format, format_detaljer=o.format_detaljer, sjekksum=o.sjekksum,
        sjekksum_algoritme=o.sjekksum_algoritme, filstoerrelse=o.filstoerrelse,
        filnavn=None if masked else o.filnavn,
        originalt_filnavn=None if masked else o.originalt_filnavn)


def dokumentbeskrivelse_out(b: Dokumentbeskrivelse, objekter: list[Dokumentobjekt], *, hide_title: bool,
                            masked: bool, words: list[str] | None = None) -> DokumentbeskrivelseOut:
    return DokumentbeskrivelseOut(
        system_id=b.system_id, dokumentnummer=b.dokumentnummer,
        tittel=MASK if hide_title else _screen(b.tittel, words or []),
        dokumenttype=Dokumenttype(b.dokumenttype) if b.dokumenttype else None,
        tilknyttet_registrering_som=TilknyttetRegistreringSom(b.tilknyttet_registrering_som),
        tilknyttet_dato=b.tilknyttet_dato, skanning_kontrollert=b.skanning_kontrollert,
        dokumentobjekt=[dokumentobjekt_out(o, masked=masked) for o in objekter])


def merknad_out(m: Merknad, *, hide: bool, words: list[str] | None = None) -> MerknadOut:
    return MerknadOut(system_id=m.system_id, merknadstekst=MASK if hide else _screen(m.merknadstekst, words or []),
                      merknadstype=m.merknadstype, merknadsdato=m.merknadsdato,
                      merknad_registrert_av=m.merknad_registrert_av)
