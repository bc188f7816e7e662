"""The weekly quality report (seed 000 step 5, seed 004 §5–6): one finding per gap, with record ids and numbers.

Whether a journalført document has its archival form is told three ways: it has an
archival variant (A), or the conversion service kept it as it is because the format policy
keeps that format (PNG, JPEG, TIFF, PDF/A, UTF-8 text: an approved archival format, its own
archival variant) — both fine — or neither: `ikke-konvertert`, a finding to act on (see the
conversion service's morning report for why). A kept document is listed as
`beholdt-etter-policy` with `kreverTiltak: false`, so the report shows the policy at work
without sending anyone after it. The journal learns that a document was kept from the
conversion service's `ConversionDone` whose archival id is the source's own
(`record_kept_by_policy`, a change-log row on the dokumentobjekt).
"""

from __future__ import annotations

import re
from datetime import date
from uuid import UUID

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from ..models import Dokumentbeskrivelse, Dokumentobjekt, Endringslogg, Journalpost, Saksmappe
from ..schemas import ApiModel
from ..store import changelog

CONVERSION_FIELD = "konvertering"
KEPT_BY_POLICY = "beholdt-etter-policy"


class QualityFinding(ApiModel):
    """One finding of the weekly quality report: which check, which record, its numbers, and whether to act."""

    kontroll: str
    beskrivelse: str
    krever_tiltak: bool = Field(default=True, description="False for what is listed only to be seen (kept by policy)")
    saksmappe: UUID
    mappe_id: str = Field(alias="mappeID")
    journalpost: UUID | None = None
    journalaar: int | None = None
    journalsekvensnummer: int | None = None
    dokumentobjekt: UUID | None = None


_CHECKS = {
    "mangler-dokument": "Journalpost without a document",
    "mangler-klasse": "New case without arkivkode (klasse)",
    "mangler-offentlighetsvurdering": "Public access not assessed (no offentlighetsvurdertDato and no skjerming)",
    "ikke-konvertert": "Journalført document without an archival variant (A), and not kept by the format policy: "
                       "see the conversion service's morning report for why",
    KEPT_BY_POLICY: "Kept as it is: the format policy keeps this format (an approved archival format); nothing to do",
    "skanning-ikke-kontrollert": "Scanned document not confirmed legible and complete",
    "tittel-avvik": "Journalpost title shares no word with its case title (wrong case?)",
}
_FOR_INFORMATION = {KEPT_BY_POLICY}


async def record_kept_by_policy(session: AsyncSession, source: Dokumentobjekt, puid: str | None) -> None:
    """The conversion service kept `source` as its own archival variant (its format is approved). Once."""
    if await _kept_by_policy(session, [source.system_id]):
        return
    await changelog.changed(session, source, "dokumentobjekt", who="conversion", changes={
        CONVERSION_FIELD: (None, f"{KEPT_BY_POLICY}: {puid or 'unknown'}")})


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"\w+", text.lower()) if len(w) > 3}


async def _kept_by_policy(session: AsyncSession, dokumentobjekt_ids: list[UUID]) -> set[UUID]:
    if not dokumentobjekt_ids:
        return set()
    return set((await session.execute(select(col(Endringslogg.referanse_arkivenhet)).where(
        col(Endringslogg.referanse_arkivenhet).in_(dokumentobjekt_ids),
        col(Endringslogg.referanse_metadata) == CONVERSION_FIELD,
        col(Endringslogg.ny_verdi).startswith(f"{KEPT_BY_POLICY}:")))).scalars())


async def quality_report(session: AsyncSession, *, fra: date, til: date) -> list[QualityFinding]:
    """The weekly checks for journalposts and cases of the period.

    Titles are not in the findings: the report lists numbers and ids, and the archive
    service opens each record through the authorised API.
    """
    findings: list[QualityFinding] = []
    rows = (await session.execute(
        select(Journalpost, Saksmappe).join(Saksmappe, col(Saksmappe.system_id) == col(Journalpost.saksmappe_id))
        .where(col(Journalpost.journaldato) >= fra, col(Journalpost.journaldato) <= til, col(Journalpost.journalstatus) != "U")
        .order_by(col(Journalpost.journalaar), col(Journalpost.journalsekvensnummer)))).all()
    ids = [j.system_id for j, _ in rows]
    objekter: dict[UUID, list[tuple[Dokumentbeskrivelse, Dokumentobjekt]]] = {}
    if ids:
        for b, o in (await session.execute(
                select(Dokumentbeskrivelse, Dokumentobjekt)
                .join(Dokumentobjekt, col(Dokumentobjekt.dokumentbeskrivelse_id) == col(Dokumentbeskrivelse.system_id))
                .where(col(Dokumentbeskrivelse.journalpost_id).in_(ids)))).all():
            objekter.setdefault(b.journalpost_id, []).append((b, o))
    statuses = {j.system_id: j.journalstatus for j, _ in rows}
    without_archival = []
    for journalpost_id, docs in objekter.items():
        archived = {(b.system_id, o.versjonsnummer) for b, o in docs if o.variantformat == "A"}
        without_archival += [o.system_id for b, o in docs if o.variantformat == "P"
                             and statuses[journalpost_id] in ("J", "A")
                             and (b.system_id, o.versjonsnummer) not in archived]
    kept = await _kept_by_policy(session, without_archival)
    unconverted = set(without_archival)

    def finding(kontroll: str, j: Journalpost, s: Saksmappe, objekt: UUID | None = None) -> QualityFinding:
        return QualityFinding(kontroll=kontroll, beskrivelse=_CHECKS[kontroll],
                              krever_tiltak=kontroll not in _FOR_INFORMATION, saksmappe=s.system_id,
                              mappe_id=s.mappe_id, journalpost=j.system_id, journalaar=j.journalaar,
                              journalsekvensnummer=j.journalsekvensnummer, dokumentobjekt=objekt)

    for j, s in rows:
        docs = objekter.get(j.system_id, [])
        if not docs:
            findings.append(finding("mangler-dokument", j, s))
        if j.journalposttype in ("I", "U") and j.offentlighetsvurdert_dato is None and not j.tilgangsrestriksjon \
                and not s.tilgangsrestriksjon:
            findings.append(finding("mangler-offentlighetsvurdering", j, s))
        for b, o in docs:
            if o.system_id in unconverted:
                findings.append(finding(KEPT_BY_POLICY if o.system_id in kept else "ikke-konvertert", j, s, o.system_id))
            if b.skanning_kontrollert is False and o.variantformat == "P":
                findings.append(finding("skanning-ikke-kontrollert", j, s, o.system_id))
        if _words(s.tittel) and _words(j.tittel) and not (_words(s.tittel) & _words(j.tittel)):
            findings.append(finding("tittel-avvik", j, s))
    cases = (await session.execute(select(Saksmappe).where(
        col(Saksmappe.saksdato) >= fra, col(Saksmappe.saksdato) <= til, col(Saksmappe.klasse_id).is_(None)))).scalars()
    for s in cases:
        findings.append(QualityFinding(kontroll="mangler-klasse", beskrivelse=_CHECKS["mangler-klasse"],
                                       saksmappe=s.system_id, mappe_id=s.mappe_id))
    return findings
