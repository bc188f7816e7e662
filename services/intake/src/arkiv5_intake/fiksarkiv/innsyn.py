"""innsyn: hent of mappe and registrering, and sok — the journal's records as Fiks Arkiv XML.

What the journal's API can answer: a saksmappe or journalpost by id (as the journal shows it
to intake's system client, screened fields masked), and full-text search over journalposts.
A sok on mappeTittel finds the saksmapper of the journalposts whose text matches and keeps
those whose title matches the pattern; search fields the journal cannot search are refused
with ugyldigforespoersel naming the field.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from lxml import etree

from ..errors import Ugyldig
from ..journal_client import JournalClient, JournalNotFound
from .answers import SOK, Builder, Svar
from .xml import MDK, find, findall, ns, text, to_string, xsi_type

Keys = Callable[[str, UUID], Awaitable[list[tuple[str, str]]]]

AS = ns("arkivstruktur")


def _identifikator(b: Builder, parent: etree._Element, name: str, value: Any) -> None:
    element = b.add(parent, name)
    if value:
        etree.SubElement(element, f"{{{MDK}}}identifikator").text = str(value)


def _saksmappe(b: Builder, parent: etree._Element, record: dict[str, Any], keys: list[tuple[str, str]]) -> None:
    b.add(parent, "systemID", record["systemID"])
    b.add(parent, "mappeID", record["mappeID"])
    b.add(parent, "tittel", record.get("tittel") or record.get("offentligTittel"))
    b.opt(parent, "offentligTittel", record.get("offentligTittel"))
    b.add(parent, "opprettetDato", record.get("opprettetDato"))
    b.add(parent, "opprettetAv", record.get("opprettetAv"))
    b.opt(parent, "avsluttetDato", record.get("avsluttetDato") and f"{record['avsluttetDato']}T00:00:00")
    for fagsystem, noekkel in keys[:1]:
        b.ekstern_noekkel(parent, "referanseEksternNoekkel", fagsystem, noekkel)
    b.add(parent, "saksaar", record["saksaar"])
    b.add(parent, "sakssekvensnummer", record["sakssekvensnummer"])
    b.add(parent, "saksdato", record["saksdato"])
    _identifikator(b, parent, "administrativEnhet", record.get("administrativEnhet"))
    _identifikator(b, parent, "saksansvarlig", record.get("saksansvarlig"))
    b.kode(parent, "saksstatus", record.get("saksstatus"))


def _journalpost(b: Builder, parent: etree._Element, record: dict[str, Any], keys: list[tuple[str, str]]) -> None:
    b.add(parent, "systemID", record["systemID"])
    b.add(parent, "opprettetDato", record.get("opprettetDato"))
    b.add(parent, "opprettetAv", record.get("opprettetAv"))
    forelder = b.add(parent, "referanseForelderMappe")
    etree.SubElement(forelder, f"{{{MDK}}}systemID").text = str(record["saksmappe"])
    b.add(parent, "registreringsID", f"{record['journalaar']}/{record['journalsekvensnummer']}")
    b.add(parent, "tittel", record.get("tittel") or record.get("offentligTittel"))
    b.opt(parent, "offentligTittel", record.get("offentligTittel"))
    for part in record.get("korrespondansepart") or []:
        k = b.add(parent, "korrespondansepart")
        b.add(k, "korrespondansepartID", part["systemID"])
        b.kode(k, "korrespondanseparttype", part.get("korrespondanseparttype"))
        b.add(k, "korrespondansepartNavn", part.get("korrespondansepartNavn"))
    for fagsystem, noekkel in keys[:1]:
        b.ekstern_noekkel(parent, "referanseEksternNoekkel", fagsystem, noekkel)
    b.add(parent, "journalaar", record["journalaar"])
    b.add(parent, "journalsekvensnummer", record["journalsekvensnummer"])
    b.add(parent, "journalpostnummer", record["journalpostnummer"])
    b.kode(parent, "journalposttype", record.get("journalposttype"))
    b.kode(parent, "journalstatus", record.get("journalstatus"))
    b.add(parent, "journaldato", record["journaldato"])
    for name in ("dokumentetsDato", "mottattDato", "sendtDato", "forfallsdato", "offentlighetsvurdertDato"):
        b.opt(parent, name, record.get(name))


def registrering_hent_resultat(record: dict[str, Any], keys: list[tuple[str, str]]) -> str:
    b = Builder(ns("registrering/hent/resultat"))
    root = b.root("registreringHentResultat")
    inner = Builder(AS)
    element = b.add(root, "journalpost")
    _journalpost(inner, element, record, keys)
    return to_string(root)


def mappe_hent_resultat(record: dict[str, Any], keys: list[tuple[str, str]]) -> str:
    b = Builder(ns("mappe/hent/resultat"))
    root = b.root("mappeHentResultat", arkivstruktur=AS)
    # As `mappe` with xsi:type saksmappe: KS's validator reads /mappeHentResultat/mappe/….
    element = b.add(root, "mappe", xsi_type="arkivstruktur:saksmappe")
    _saksmappe(Builder(AS), element, record, keys)
    return to_string(root)


async def sok(root: etree._Element, *, journal: JournalClient, keys: Keys, max_hits: int, system: str) -> Svar:
    definisjon = find(root, "sokdefinisjon")
    kind = xsi_type(definisjon) if definisjon is not None else None
    responstype = text(definisjon, "responstype") or "minimum"
    take = min(int(text(root, "take") or max_hits), max_hits)
    skip = int(text(root, "skip") or 0)
    parametere = findall(definisjon, "parametere")
    mappe_sok = kind in ("mappeSokdefinisjon", "saksmappeSokdefinisjon")
    journalpost_sok = kind in ("registreringSokdefinisjon", "journalpostSokdefinisjon")
    if not (mappe_sok or journalpost_sok):
        raise Ugyldig(f"this archive does not search {kind}")
    title_field = "mappeTittel" if mappe_sok else "registreringTittel"
    patterns: list[str] = []
    for parameter in parametere:
        felt = text(parameter, "felt")
        if felt != title_field:
            raise Ugyldig(f"this archive cannot search the field {felt}; it searches {title_field}")
        values = [v.text or "" for v in findall(find(parameter, "sokVerdier/stringvalues"), "value")]
        if not values:
            raise Ugyldig(f"{felt} needs stringvalues")
        patterns += values
    words = " ".join(w for p in patterns for w in p.replace("*", " ").replace("?", " ").split())
    if not words:
        raise Ugyldig("the search needs at least one word that is not a wildcard")
    hits: list[dict[str, Any]] = []
    try:
        journalposter = await journal.search(words, top=100, skip=0)
    except JournalNotFound:
        journalposter = []
    if mappe_sok:
        seen: set[str] = set()
        for jp in journalposter:
            saksmappe_id = str(jp["saksmappe"])
            if saksmappe_id in seen:
                continue
            seen.add(saksmappe_id)
            try:
                record = await journal.get_saksmappe(UUID(saksmappe_id))
            except JournalNotFound:
                continue
            if _matches(record.get("tittel") or "", patterns):
                hits.append(record)
    else:
        hits = [jp for jp in journalposter if _matches(jp.get("tittel") or "", patterns)]
    page = hits[skip:skip + take]
    resultattype = "saksmappe" if mappe_sok else "journalpost"
    record_kind = "mappe" if mappe_sok else "registrering"
    key_lists = [await keys(record_kind, UUID(str(r["systemID"]))) for r in page]
    return Svar(f"{SOK}.resultat.{responstype}", _sokeresultat(responstype, resultattype, page, key_lists,
                                                               take=take, skip=skip, count=len(hits), system=system))


def _matches(title: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatch(title.casefold(), p.casefold() if any(c in p for c in "*?") else f"*{p.casefold()}*")
               for p in patterns)


def _sokeresultat(responstype: str, resultattype: str, page: list[dict[str, Any]], key_lists: list[list[tuple[str, str]]],
                  *, take: int, skip: int, count: int, system: str) -> str:
    if responstype == "utvidet":
        b, root_name, liste_item, inner_ns = Builder(ns("sokeresultat/utvidet")), "sokeresultat", "resultat", AS
    elif responstype == "noekler":
        b, root_name, liste_item, inner_ns = (Builder(ns("sokeresultat/noekler")), "sokeresultatNoekler",
                                              "resultatNoekler", ns("arkivstruktur/noekler"))
    elif responstype == "minimum":
        b, root_name, liste_item, inner_ns = (Builder(ns("sokeresultat/minimum")), "sokeresultatMinimum",
                                              "resultatMinimum", ns("arkivstruktur/minimum"))
    else:
        raise Ugyldig("responstype must be minimum, utvidet or noekler")
    root = b.root(root_name)
    b.add(root, "system", system)
    b.add(root, "take", take)
    b.add(root, "skip", skip)
    b.add(root, "count", count)
    b.add(root, "resultattype", resultattype)
    liste = b.add(root, "resultatListe")
    inner = Builder(inner_ns)
    for record, keys in zip(page, key_lists, strict=True):
        item = b.add(b.add(liste, liste_item), resultattype)
        if responstype == "noekler":
            inner.add(item, "systemID", record["systemID"])
            if resultattype == "saksmappe":
                inner.add(item, "mappeID", record["mappeID"])
            for fagsystem, noekkel in keys[:1]:
                inner.ekstern_noekkel(item, "referanseEksternNoekkel", fagsystem, noekkel)
        elif resultattype == "saksmappe" and responstype == "utvidet":
            _saksmappe(inner, item, record, keys)
        elif resultattype == "saksmappe":
            _saksmappe_minimum(inner, item, record, keys)
        elif responstype == "utvidet":
            _journalpost(inner, item, record, keys)
        else:
            _journalpost_minimum(inner, item, record, keys)
    return to_string(root)


def _saksmappe_minimum(b: Builder, parent: etree._Element, record: dict[str, Any], keys: list[tuple[str, str]]) -> None:
    b.add(parent, "systemID", record["systemID"])
    b.add(parent, "mappeID", record["mappeID"])
    b.add(parent, "tittel", record.get("tittel") or record.get("offentligTittel"))
    b.opt(parent, "offentligTittel", record.get("offentligTittel"))
    for fagsystem, noekkel in keys[:1]:
        b.ekstern_noekkel(parent, "referanseEksternNoekkel", fagsystem, noekkel)
    b.add(parent, "saksaar", record["saksaar"])
    b.add(parent, "sakssekvensnummer", record["sakssekvensnummer"])
    b.add(parent, "saksdato", record["saksdato"])
    _identifikator(b, parent, "administrativEnhet", record.get("administrativEnhet"))
    _identifikator(b, parent, "saksansvarlig", record.get("saksansvarlig"))
    b.kode(parent, "saksstatus", record.get("saksstatus"))


def _journalpost_minimum(b: Builder, parent: etree._Element, record: dict[str, Any],
                         keys: list[tuple[str, str]]) -> None:
    b.add(parent, "systemID", record["systemID"])
    b.add(parent, "tittel", record.get("tittel") or record.get("offentligTittel"))
    for fagsystem, noekkel in keys[:1]:
        b.ekstern_noekkel(parent, "referanseEksternNoekkel", fagsystem, noekkel)
    b.add(parent, "journalaar", record["journalaar"])
    b.add(parent, "journalsekvensnummer", record["journalsekvensnummer"])
    b.add(parent, "journalpostnummer", record["journalpostnummer"])
    b.kode(parent, "journalposttype", record.get("journalposttype"))
    b.kode(parent, "journalstatus", record.get("journalstatus"))
    b.add(parent, "journaldato", record["journaldato"])
