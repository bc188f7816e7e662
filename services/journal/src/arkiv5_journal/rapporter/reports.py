"""Reports and lists: restanseliste, public journal, postjournal, change log (JSON, or CSV for a sheet).

The weekly quality report is `kvalitet.py`.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any
from uuid import UUID

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from arkiv5_contracts.codelists import Journalposttype
from arkiv5_kit.auth import Principal as Caller
from arkiv5_kit.errors import NotFound, Unprocessable

from .. import visibility
from ..context import Context
from ..domain import numbering, screening
from ..domain.numbering import today_in_oslo
from ..models import Endringslogg, Journalpost, Korrespondansepart, Saksmappe
from ..schemas import EndringsloggOut, JournalpostOut, OffentligJournalpost, RestanseOut
from ..store.repository import get_saksmappe
from .restanser import restanser

MAX_RANGE_DAYS = 366


def check_range(fra: date, til: date) -> None:
    if til < fra:
        raise Unprocessable("til is before fra.")
    if (til - fra).days > MAX_RANGE_DAYS:
        raise Unprocessable(f"The date range may span at most {MAX_RANGE_DAYS} days.")


async def restanseliste(session: AsyncSession, *, ctx: Context, caller: Caller) -> list[RestanseOut]:
    today = today_in_oslo()
    result = []
    rows = await restanser(session, ctx=ctx, today=today)
    words = await visibility.screened_words(session, list({s.system_id: s for _, s, _ in rows}.values()))
    for journalpost, saksmappe, due in rows:
        # Listed with the public title: the list goes to the archive service, not only the handler.
        full = await visibility.may_see_screened_journalpost(session, caller, journalpost, saksmappe)
        offentlig_tittel = visibility.screen_text(journalpost.offentlig_tittel,
                                                  [] if full else words.of_post(journalpost.system_id, saksmappe.system_id))
        result.append(RestanseOut(
            journalpost=journalpost.system_id, saksmappe=saksmappe.system_id, mappe_id=saksmappe.mappe_id,
            journalaar=journalpost.journalaar, journalsekvensnummer=numbering.journalsekvensnummer_of(journalpost),
            journalposttype=Journalposttype(journalpost.journalposttype), offentlig_tittel=offentlig_tittel,
            journaldato=journalpost.journaldato, forfallsdato=due, dager_over_forfall=max(0, (today - due).days),
            saksbehandler=journalpost.saksbehandler_id, administrativ_enhet=journalpost.administrativ_enhet_id))
    return result


async def offentlig_journal(
    session: AsyncSession, *, ctx: Context, fra: date, til: date
) -> list[OffentligJournalpost]:
    """Built only from public values: offentligTittel, and names only where nothing screens them."""
    today = today_in_oslo()
    query = (
        select(Journalpost, Saksmappe).join(Saksmappe, col(Saksmappe.system_id) == col(Journalpost.saksmappe_id))
        .where(col(Journalpost.journaldato) >= fra, col(Journalpost.journaldato) <= til,
               col(Journalpost.journalposttype).in_(ctx.settings.public_journal_types),
               col(Journalpost.journalstatus).in_(ctx.settings.public_journal_statuses))
        .order_by(col(Journalpost.journalaar), col(Journalpost.journalsekvensnummer))
    )
    rows = (await session.execute(query)).all()
    ids = [j.system_id for j, _ in rows]
    parts: dict[UUID, list[Korrespondansepart]] = {}
    if ids:
        for p in (await session.execute(select(Korrespondansepart).where(
                col(Korrespondansepart.journalpost_id).in_(ids)))).scalars():
            parts.setdefault(p.journalpost_id, []).append(p)
    # Public: every screened word of the case (marked, or a party of a screened case) is masked in every field.
    words = await visibility.screened_words(session, list({s.system_id: s for _, s in rows}.values()))
    result = []
    for journalpost, saksmappe in rows:
        codes = visibility.journalpost_codes(journalpost, saksmappe, today)
        screened_words = words.of_post(journalpost.system_id, saksmappe.system_id)
        screened = bool(codes)
        names = []
        for p in parts.get(journalpost.system_id, []):
            wanted = screening.SENDER_CODES if p.korrespondanseparttype in screening.SENDER_TYPES else screening.RECIPIENT_CODES
            # A private person's name is shown only when nothing on the record is screened.
            hide = screening.screens(codes, wanted) or (screened and p.foedselsnummer is not None)
            names.append(screening.MASK if hide else visibility.screen_text(p.korrespondansepart_navn, screened_words))
        result.append(OffentligJournalpost(
            journalaar=journalpost.journalaar, journalsekvensnummer=numbering.journalsekvensnummer_of(journalpost),
            journalpostnummer=journalpost.journalpostnummer, mappe_id=saksmappe.mappe_id,
            saksmappe_offentlig_tittel=visibility.screen_text(saksmappe.offentlig_tittel, screened_words),
            journalposttype=Journalposttype(journalpost.journalposttype), journaldato=journalpost.journaldato,
            dokumentets_dato=journalpost.dokumentets_dato,
            offentlig_tittel=visibility.screen_text(journalpost.offentlig_tittel, screened_words),
            korrespondansepart=names,
            tilgangsrestriksjon=(journalpost.tilgangsrestriksjon or saksmappe.tilgangsrestriksjon) if screened else None,
            skjermingshjemmel=(journalpost.skjermingshjemmel or saksmappe.skjermingshjemmel) if screened else None,
            administrativ_enhet=journalpost.administrativ_enhet_id))
    return result


async def postjournal(session: AsyncSession, *, caller: Caller, fra: date, til: date) -> list[JournalpostOut]:
    query = (select(Journalpost, Saksmappe).join(Saksmappe, col(Saksmappe.system_id) == col(Journalpost.saksmappe_id))
             .where(col(Journalpost.journaldato) >= fra, col(Journalpost.journaldato) <= til)
             .order_by(col(Journalpost.journalaar), col(Journalpost.journalsekvensnummer)))
    rows = [(j, s) for j, s in (await session.execute(query)).all()]
    return await visibility.journalposter(session, caller, rows, detail=False)


async def endringslogg(session: AsyncSession, *, caller: Caller, system_id: UUID) -> list[EndringsloggOut]:
    """The log of a saksmappe or journalpost, for those who may read its screened content."""
    journalpost = await session.get(Journalpost, system_id)
    if journalpost is not None:
        saksmappe = await get_saksmappe(session, journalpost.saksmappe_id)
    else:
        found = await session.get(Saksmappe, system_id)
        if found is None:
            raise NotFound("No saksmappe or journalpost has this systemID.")
        saksmappe = found
    await visibility.require_full_view(session, caller, journalpost, saksmappe)
    ids = [system_id]
    if journalpost is not None:
        ids += list((await session.execute(select(col(Korrespondansepart.system_id)).where(
            col(Korrespondansepart.journalpost_id) == system_id))).scalars())
    rows = (await session.execute(select(Endringslogg).where(
        col(Endringslogg.referanse_arkivenhet).in_(ids))
        # Rows of one change share their time: the id keeps the order the same on every read.
        .order_by(col(Endringslogg.endret_dato), col(Endringslogg.id)))).scalars()
    return [EndringsloggOut(system_id=r.id, referanse_arkivenhet=r.referanse_arkivenhet, arkivenhet_type=r.arkivenhet_type,
                            referanse_metadata=r.referanse_metadata, endret_dato=r.endret_dato, endret_av=r.endret_av,
                            tidligere_verdi=r.tidligere_verdi, ny_verdi=r.ny_verdi) for r in rows]


def to_csv(rows: list[BaseModel]) -> str:
    """Flat CSV (semicolon, as Norwegian spreadsheets expect) of the rows' JSON form."""
    out = io.StringIO()
    if not rows:
        return ""
    flat = [_flatten(r.model_dump(mode="json", by_alias=True)) for r in rows]
    writer = csv.DictWriter(out, fieldnames=list(flat[0].keys()), delimiter=";", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(flat)
    return out.getvalue()


def _flatten(data: dict[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict) and "kode" in value:
            flat[key] = value["kode"]
        elif isinstance(value, list):
            flat[key] = " | ".join(str(v.get("korrespondansepartNavn", v)) if isinstance(v, dict) else str(v) for v in value)
        elif isinstance(value, dict):
            flat[key] = str(value)
        else:
            flat[key] = value
    return flat


async def oppfolging(session: AsyncSession, *, caller: Caller) -> list[JournalpostOut]:
    """"Oppfølging journal": incoming post registered but not yet processed (journalstatus M or S)."""
    query = (select(Journalpost, Saksmappe).join(Saksmappe, col(Saksmappe.system_id) == col(Journalpost.saksmappe_id))
             .where(col(Journalpost.journalposttype) == Journalposttype.I.kode,
                    col(Journalpost.journalstatus).in_(["M", "S"]))
             .order_by(col(Journalpost.journaldato), col(Journalpost.journalsekvensnummer)))
    rows = [(j, s) for j, s in (await session.execute(query)).all()]
    return await visibility.journalposter(session, caller, rows)
