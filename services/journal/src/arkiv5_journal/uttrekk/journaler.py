"""loependeJournal.xml (full), offentligJournal.xml (public values only) and endringslogg.xml.

The public journal's values come from the journal's one visibility module, rendered as for a
caller with no clearance: offentligTittel with every screened word masked, and party names
masked where the skjerming screens them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from arkiv5_contracts.codelists import Avskrivningsmaate, Korrespondanseparttype, SkjermingMetadata, Tilgangsrestriksjon

from .. import visibility
from ..authz import access
from ..domain.numbering import journalsekvensnummer_of
from ..models import Klasse, Saksmappe
from .rows import Details, Record
from .xml import EMPTY_VALUE, ENDRINGSLOGG, LOEPENDE, OFFENTLIG, Builder, Markup, name_of, xml_date, xml_datetime

L = Builder(LOEPENDE)
O = Builder(OFFENTLIG)  # noqa: E741 - the schema's letter
E = Builder(ENDRINGSLOGG)


def journalhode(builder: Builder, fra: date, til: date, count: int, arkivskaper: tuple[str, str]) -> Any:
    hode = builder.element("journalhode")
    builder.leaves(hode, [("journalStartDato", xml_date(fra)), ("journalSluttDato", xml_date(til)),
                          ("antallJournalposter", count)])
    skaper = builder.sub(hode, "arkivskaper")
    builder.leaves(skaper, [("arkivskaperID", arkivskaper[0]), ("arkivskaperNavn", arkivskaper[1])])
    return hode


def _first_avskrivning(details: Details, journalpost: Record) -> Record | None:
    found = details.avskrivninger.get(journalpost.system_id)
    return found[0] if found else None


def known_parties(journalpost: Record, parts: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The korrespondanseparter (type name, name) a journal entry lists; never none.

    The journals' schemas demand at least one korrespondansepart per journalpost, while
    arkivstruktur allows none and keeps what was registered. Without a registered party, the
    journal lists the one side it knows: the journalpost's administrative unit (by its
    identifier, as arkivstruktur names it), as the internal receiver of an incoming letter and
    the internal sender of everything else (outgoing letters, internal notes, case
    presentations). The missing external party stays missing: the validator reports the
    journalpost (N5_39).
    """
    if parts:
        return parts
    side = Korrespondanseparttype.IM if journalpost.journalposttype == "I" else Korrespondanseparttype.IA
    return [(side.kodenavn, str(journalpost.administrativ_enhet_id))]


def _parties(m: Markup, parties: list[tuple[str, str]]) -> None:
    for kind, name in parties:
        m.open("korrespondansepart")
        m.leaves([("korrespondanseparttype", kind), ("korrespondansepartNavn", name)])
        m.close("korrespondansepart")


def _metadata(row: Saksmappe | Record) -> str | None:
    codes = row.skjerming_metadata or []
    return name_of(SkjermingMetadata, codes[0]) if row.tilgangsrestriksjon and codes else None


def loepende(journalpost: Record, saksmappe: Saksmappe, klasse: Klasse | None, details: Details) -> Any:
    """One journalregistrering of the running journal, with the full titles and names."""
    m = Markup()
    if klasse is not None:
        m.open("klasse")
        m.leaves([("klasseID", klasse.klasse_id), ("tittel", klasse.tittel)])
        m.close("klasse")
    m.open("saksmappe")
    m.leaves([("saksaar", saksmappe.saksaar), ("sakssekvensnummer", saksmappe.sakssekvensnummer),
              ("tittel", saksmappe.tittel), ("offentligTittel", saksmappe.offentlig_tittel),
              ("skjermingMetadata", _metadata(saksmappe))])
    m.close("saksmappe")
    m.open("journalpost")
    avskrivning = _first_avskrivning(details, journalpost)
    m.leaves([
        ("systemID", journalpost.system_id), ("journalaar", journalpost.journalaar),
        ("journalsekvensnummer", journalpost.journalsekvensnummer), ("journalpostnummer", journalpost.journalpostnummer),
        ("tittel", journalpost.tittel), ("offentligTittel", journalpost.offentlig_tittel),
        ("skjermingMetadata", _metadata(journalpost)), ("journaldato", xml_date(journalpost.journaldato)),
        ("dokumentetsDato", xml_date(journalpost.dokumentets_dato) if journalpost.dokumentets_dato else None),
        ("avskrivningsdato", xml_date(avskrivning.avskrivningsdato) if avskrivning else None),
        ("avskrivningsmaate", name_of(Avskrivningsmaate, avskrivning.avskrivningsmaate) if avskrivning else None),
        ("referanseAvskrivesAvJournalpost", avskrivning.referanse_avskrives_av_journalpost if avskrivning else None),
        ("tilgangsrestriksjon", name_of(Tilgangsrestriksjon, journalpost.tilgangsrestriksjon)
         if journalpost.tilgangsrestriksjon else None),
        ("skjermingshjemmel", journalpost.skjermingshjemmel if journalpost.tilgangsrestriksjon else None)])
    _parties(m, known_parties(journalpost, [
        (name_of(Korrespondanseparttype, p.korrespondanseparttype), p.korrespondansepart_navn)
        for p in details.parts.get(journalpost.system_id, [])]))
    m.close("journalpost")
    return L.parse("journalregistrering", m)


async def offentlige(session: AsyncSession, rows: Sequence[tuple[Record, Saksmappe, Klasse | None]],
                     details: Details, *, types: Sequence[str], statuses: Sequence[str]) -> list[Any]:
    """The public journal's entries of a batch, every value as the public may see it.

    The values come from the visibility module's rules (screened words, the codes in force,
    a party's name), called once per batch on the rows already read, rather than through the
    API's response models: the same decisions without a second read of the parties.
    """
    public = [(j, s, k) for j, s, k in rows if j.journalposttype in types and j.journalstatus in statuses]
    if not public:
        return []
    # One day for the screened words, the journalpost's screening and its parties': the
    # visibility module's decision day, the day every API answer is judged on.
    day = access.decision_day()
    words = await visibility.screened_words(session, list({s.system_id: s for _, s, _ in public}.values()), today=day)
    entries = []
    for journalpost, saksmappe, klasse in public:
        m = Markup()
        codes = visibility.journalpost_codes(journalpost, saksmappe, day)
        post_words = words.of_post(journalpost.system_id, saksmappe.system_id)
        if klasse is not None:
            m.open("klasse")
            m.leaves([("klasseID", visibility.MASK if "KID" in codes else klasse.klasse_id),
                      ("tittel", visibility.MASK if "TKL" in codes else klasse.tittel)])
            m.close("klasse")
        m.open("saksmappe")
        m.leaves([("saksaar", saksmappe.saksaar), ("sakssekvensnummer", saksmappe.sakssekvensnummer),
                  ("offentligTittel", visibility.screen_text(saksmappe.offentlig_tittel, post_words))])
        m.close("saksmappe")
        m.open("journalpost")
        avskrivning = _first_avskrivning(details, journalpost)
        m.leaves([
            ("systemID", journalpost.system_id), ("journalaar", journalpost.journalaar),
            ("journalsekvensnummer", journalsekvensnummer_of(journalpost)),
            ("journalpostnummer", journalpost.journalpostnummer),
            ("offentligTittel", visibility.screen_text(journalpost.offentlig_tittel, post_words)),
            ("journaldato", xml_date(journalpost.journaldato)),
            ("dokumentetsDato", xml_date(journalpost.dokumentets_dato) if journalpost.dokumentets_dato else None),
            ("avskrivningsdato", xml_date(avskrivning.avskrivningsdato) if avskrivning else None),
            ("avskrivningsmaate", name_of(Avskrivningsmaate, avskrivning.avskrivningsmaate) if avskrivning else None),
            ("tilgangsrestriksjon", name_of(Tilgangsrestriksjon, journalpost.tilgangsrestriksjon) if codes
             and journalpost.tilgangsrestriksjon else None),
            ("skjermingshjemmel", journalpost.skjermingshjemmel if codes and journalpost.tilgangsrestriksjon else None)])
        _parties(m, known_parties(journalpost, [
            (name_of(Korrespondanseparttype, part.korrespondanseparttype),
             visibility.MASK if visibility.hides_party(part, codes)
             else visibility.screen_text(part.korrespondansepart_navn, post_words))
            for part in details.parts.get(journalpost.system_id, [])]))
        m.close("journalpost")
        entries.append(O.parse("journalregistrering", m))
    return entries


def endring(row: Record) -> Any:
    m = Markup()
    m.leaves([("referanseArkivenhet", row.referanse_arkivenhet), ("referanseMetadata", row.referanse_metadata),
                       ("endretDato", xml_datetime(row.endret_dato)), ("endretAv", row.endret_av),
                       ("tidligereVerdi", row.tidligere_verdi or EMPTY_VALUE), ("nyVerdi", row.ny_verdi or EMPTY_VALUE)])
    return E.parse("endring", m)
