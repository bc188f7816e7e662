"""innsyn: hent of mappe and registrering, and sok — the journal's records as Fiks Arkiv XML.

What the journal's API can answer: a saksmappe or journalpost by id (as the journal shows it
to intake's system client, screened fields masked), full-text search over journalposts, and
saksmapper by saksdato. A sok on mappeTittel finds the saksmapper of the journalposts whose
text matches and keeps those whose title matches the pattern; a sok on sakSaksdato lists
the journal's saksmapper in that range (with mappeTittel too, those whose title matches);
search fields the journal cannot search are refused
with ugyldigforespoersel naming the field.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
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
    saksdato_field = "sakSaksdato" if kind == "saksmappeSokdefinisjon" else None
    patterns: list[str] = []
    saksdato: tuple[date | None, date | None] | None = None
    for parameter in parametere:
        felt = text(parameter, "felt")
        if felt is not None and felt == saksdato_field:
            saksdato = _date_range(parameter, felt, saksdato)
            continue
        if felt != title_field:
            searchable = f"{title_field} or {saksdato_field}" if saksdato_field else title_field
            raise Ugyldig(f"this archive cannot search the field {felt}; it searches {searchable}")
        values = [v.text or "" for v in findall(find(parameter, "sokVerdier/stringvalues"), "value")]
        if not values:
            raise Ugyldig(f"{felt} needs stringvalues")
        patterns += values
    hits: list[dict[str, Any]] = []
    if saksdato is not None:
        hits = [r for r in await _saksmapper_by_saksdato(journal, saksdato)
                if not patterns or _matches(r.get("tittel") or "", patterns)]
    else:
        words = " ".join(w for p in patterns for w in p.replace("*", " ").replace("?", " ").split())
        if not words:
            raise Ugyldig("the search needs at least one word that is not a wildcard")
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


# Fiks Arkiv's operators on a date, as the inclusive range [from, to] they stand for.
_DATE_OPERATORS = ("equal", "between", "lessthan", "lessequal", "greaterthan", "greaterequal")
SAKSDATO_MAX_HITS = 1000
"""Cases looked at for a sok on saksdato alone (the journal pages 100 at a time)."""


def _date_range(parameter: etree._Element, felt: str,
                earlier: tuple[date | None, date | None] | None) -> tuple[date | None, date | None]:
    """The operator and datevalues of one parameter as an inclusive range, narrowed by an earlier one."""
    operator = text(parameter, "operator")
    if operator not in _DATE_OPERATORS:
        raise Ugyldig(f"this archive searches {felt} with the operators {', '.join(_DATE_OPERATORS)}")
    values = findall(find(parameter, "sokVerdier/datevalues"), "value")
    try:
        days = [date.fromisoformat((v.text or "").strip()[:10]) for v in values]
    except ValueError:
        raise Ugyldig(f"{felt} needs datevalues that are dates") from None
    wanted = 2 if operator == "between" else 1
    if len(days) != wanted:
        raise Ugyldig(f"{felt} with the operator {operator} needs {wanted} datevalues")
    one = timedelta(days=1)
    fra, til = {
        "equal": (days[0], days[0]), "between": (min(days), max(days)),
        "lessthan": (None, days[0] - one), "lessequal": (None, days[0]),
        "greaterthan": (days[0] + one, None), "greaterequal": (days[0], None),
    }[operator]
    if earlier is None:
        return fra, til
    froms = [d for d in (fra, earlier[0]) if d is not None]
    tos = [d for d in (til, earlier[1]) if d is not None]
    return (max(froms) if froms else None), (min(tos) if tos else None)


async def _saksmapper_by_saksdato(journal: JournalClient,
                                  saksdato: tuple[date | None, date | None]) -> list[dict[str, Any]]:
    fra, til = saksdato
    if fra is not None and til is not None and fra > til:
        return []
    hits: list[dict[str, Any]] = []
    while len(hits) < SAKSDATO_MAX_HITS:
        page = await journal.saksmapper_by_saksdato(fra, til, top=100, skip=len(hits))
        hits += page
        if len(page) < 100:
            break
    return hits


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
