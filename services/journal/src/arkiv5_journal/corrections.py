"""Corrections (retting) of a registered saksmappe or journalpost: JSON merge-patch with If-Match.

The ETag is a hash of the record's own columns, so any change to the record (by a
correction, a status change, a distribution) makes an older ETag stale. The row is
locked while the ETag is compared, so two corrections cannot both pass the check.
Every check runs before anything is written; every changed field is logged old → new.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Annotated, Any, TypeVar
from uuid import UUID

from pydantic import Field, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from arkiv5_contracts.codelists import Journalposttype
from arkiv5_contracts.events.journal import JournalpostCorrected, SaksmappeCorrected
from arkiv5_contracts.policy import Action, Resource
from arkiv5_kit.auth import Principal as Caller
from arkiv5_kit.errors import Forbidden, Unprocessable

from .authz import access
from .context import Context, now_utc
from .domain import screening
from .domain.numbering import today_in_oslo
from .errors import (
    ImmutableField,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    UnknownCode,
    UnsupportedMediaType,
)
from .models import Arkivdel, Journalpost, Klasse, Korrespondansepart, Part, Saksmappe
from .saksmappe.create import public_title, skjerming_values
from .schemas import ApiModel, SkjermingIn
from .store import changelog, search
from .store.repository import get_saksmappe, klasse_by_id

MERGE_PATCH = "application/merge-patch+json"

# Not part of a record's version: the case's journalpostnummer counter moves with every
# registration in the case, which is no change to the case itself.
IMMUTABLE_SAKSMAPPE = ("systemID", "mappeID", "saksaar", "sakssekvensnummer", "saksdato", "saksstatus",
                        "opprettetDato", "opprettetAv")
IMMUTABLE_JOURNALPOST = ("systemID", "journalaar", "journalsekvensnummer", "journalpostnummer", "journaldato",
                          "journalposttype", "journalstatus", "opprettetDato", "opprettetAv", "korrespondansepart")


# The patch model parsed: a SaksmappePatch for a saksmappe, a JournalpostPatch for a journalpost.
Patch = TypeVar("Patch", bound=ApiModel)

Words = list[Annotated[str, Field(min_length=1, max_length=500)]]


class SaksmappePatch(ApiModel):
    tittel: str | None = Field(default=None, min_length=1, max_length=2000)
    offentlig_tittel: str | None = Field(default=None, min_length=1, max_length=2000)
    skjermede_ord: Words | None = None
    skjerming: SkjermingIn | None = None
    klasse: str | None = Field(default=None, max_length=100)
    saksansvarlig: UUID | None = None
    administrativ_enhet: UUID | None = None


class JournalpostPatch(ApiModel):
    tittel: str | None = Field(default=None, min_length=1, max_length=2000)
    offentlig_tittel: str | None = Field(default=None, min_length=1, max_length=2000)
    skjermede_ord: Words | None = None
    skjerming: SkjermingIn | None = None
    dokumentets_dato: date | None = None
    mottatt_dato: date | None = None
    forfallsdato: date | None = None


# Fields a merge-patch may not set to null (null means "remove", and these must have a value).
_NOT_NULL = {"tittel", "offentligTittel", "administrativEnhet"}


def etag(record: Saksmappe | Journalpost) -> str:
    """The record's version as an opaque tag: it changes with every change and says nothing about the content."""
    digest = hashlib.sha256(f"{record.system_id}:{record.versjon}".encode()).hexdigest()
    return f'"{digest[:32]}"'


def matches(if_match: str | None, current: str) -> bool:
    """Whether the tags in an If-Match header name the record's current version (`*` names any)."""
    if if_match is None:
        raise PreconditionRequired("A correction needs the If-Match header with the ETag of the record as read.")
    tags = {t.strip().removeprefix("W/") for t in if_match.split(",")}
    return "*" in tags or current in tags


def parse_patch(raw: bytes, content_type: str | None, model: type[Patch], immutable: tuple[str, ...]) -> Patch:
    media = (content_type or "").split(";")[0].strip().lower()
    if media not in (MERGE_PATCH, "application/json"):
        raise UnsupportedMediaType(f"Send the correction as {MERGE_PATCH} or application/json.")
    try:
        body = json.loads(raw or b"null")
    except ValueError:
        raise Unprocessable("The body is not valid JSON.") from None
    if not isinstance(body, dict) or not body:
        raise Unprocessable("The body must be a JSON object naming at least one field to correct.")
    for name in immutable:
        if name in body:
            raise ImmutableField(f"{name} cannot be corrected after registration.", field=name)
    for name in _NOT_NULL:
        if name in body and body[name] is None:
            raise Unprocessable(f"{name} cannot be removed.",
                                errors=[{"field": f"body.{name}", "message": "may not be null", "code": "not_null"}])
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise Unprocessable("The correction is not valid.", errors=[
            {"field": ".".join(["body", *(str(p) for p in e["loc"])]), "message": e["msg"], "code": e["type"]}
            for e in exc.errors()]) from None


async def _authorize(session: AsyncSession, caller: Caller, resource: Resource) -> None:
    """The responsible person updates; the archive service corrects (retting)."""
    try:
        await access.authorize(session, caller, Action.UPDATE, resource)
    except Forbidden as refused:
        try:
            await access.authorize(session, caller, Action.CORRECT, resource)
        except Forbidden:
            raise refused from None


def _new_public_title(record: Any, patch: ApiModel, extra_words: list[str], title_codes: frozenset[str],
                      metadata: list[str]) -> str | None:
    """The recomputed offentligTittel, or None when it stays as it is."""
    fields = patch.model_fields_set
    if "offentlig_tittel" in fields:
        return patch.offentlig_tittel  # type: ignore[attr-defined]
    if "tittel" not in fields and "skjermede_ord" not in fields:
        return None
    if "skjermede_ord" not in fields and record.offentlig_tittel != record.tittel:
        # The screened words of the old title are not stored: without them a new title
        # could reveal what the old public title hid.
        raise Unprocessable("The public title has screened words: send skjermedeOrd (or offentligTittel) "
                            "with the corrected tittel.",
                            errors=[{"field": "body.skjermedeOrd", "message": "Field required", "code": "missing"}])
    tittel = patch.tittel if "tittel" in fields else record.tittel  # type: ignore[attr-defined]
    words = list(patch.skjermede_ord or []) + extra_words  # type: ignore[attr-defined]
    return public_title(tittel, None, words, metadata, title_codes)


def _skjerming_changes(record: Any, patch: ApiModel) -> dict[str, Any]:
    if "skjerming" not in patch.model_fields_set:
        return {}
    return skjerming_values(patch.skjerming)  # type: ignore[attr-defined]


async def _apply(session: AsyncSession, record: Any, kind: str, who: str,
                 values: dict[str, Any], names: dict[str, str]) -> list[str]:
    """Set the values and log them; answers the Noark names of the fields that really changed."""
    changes = {names.get(column, changelog._noark_name(column)): (getattr(record, column), value)
               for column, value in values.items()}
    await changelog.changed(session, record, kind, who=who, changes=changes)
    changed = []
    for column, value in values.items():
        if getattr(record, column) != value:
            setattr(record, column, value)
            changed.append(names.get(column, changelog._noark_name(column)))
    await session.flush()
    return changed


async def correct_saksmappe(session: AsyncSession, *, ctx: Context, caller: Caller, saksmappe_id: UUID,
                            patch: SaksmappePatch, if_match: str | None) -> Saksmappe:
    if if_match is None:
        matches(None, "")
    saksmappe = await session.get(Saksmappe, saksmappe_id, with_for_update=True)
    if saksmappe is None:
        raise NotFound("No saksmappe has this systemID.")
    resource = await access.saksmappe_resource(session, saksmappe, today_in_oslo())
    await _authorize(session, caller, resource)
    if "saksansvarlig" in patch.model_fields_set and patch.saksansvarlig != saksmappe.saksansvarlig_id:
        await access.authorize_assignment(session, caller, resource)
    if not matches(if_match, etag(saksmappe)):
        raise PreconditionFailed("The saksmappe changed since it was read; read it again and repeat the correction.")
    fields = patch.model_fields_set
    values: dict[str, Any] = {}
    if "tittel" in fields:
        values["tittel"] = patch.tittel
    if "saksansvarlig" in fields:
        values["saksansvarlig_id"] = patch.saksansvarlig
    if "administrativ_enhet" in fields:
        values["administrativ_enhet_id"] = patch.administrativ_enhet
    klasse_name = None
    if "klasse" in fields:
        klasse_id = None
        if patch.klasse is not None:
            arkivdel = await session.get(Arkivdel, saksmappe.arkivdel_id)
            klasse = None
            if arkivdel is not None and arkivdel.klassifikasjonssystem_id is not None:
                klasse = await klasse_by_id(session, arkivdel.klassifikasjonssystem_id, patch.klasse)
            if klasse is None:
                raise UnknownCode("body.klasse is not a klasseID of the arkivdel's klassifikasjonssystem "
                                          "(GET /klasser lists them).", field="klasse")
            klasse_id, klasse_name = klasse.system_id, klasse.klasse_id
        values["klasse_id"] = klasse_id
    skjerming = _skjerming_changes(saksmappe, patch)
    await access.require_known_code(session, skjerming.get("tilgangsrestriksjon"), field="body.skjerming.tilgangsrestriksjon")
    if skjerming and saksmappe.sekundaer_klassifikasjon is not None and skjerming["tilgangsrestriksjon"] is None:
        raise Unprocessable("A client's case is always screened; its skjerming can be changed, not removed.",
                            field="skjerming")
    values.update(skjerming)
    names = [p for p in (await session.execute(
        select(col(Part.part_navn)).where(col(Part.saksmappe_id) == saksmappe_id, col(Part.part_rolle) == "KLI"))).scalars()]
    client_words = [w for n in names for w in (n, *n.split())]
    public = _new_public_title(saksmappe, patch, client_words, screening.TITLE_CODES_MAPPE,
                               skjerming.get("skjerming_metadata", saksmappe.skjerming_metadata))
    if public is not None:
        values["offentlig_tittel"] = public
    old_klasse = None
    if "klasse_id" in values and saksmappe.klasse_id is not None:
        old = await session.get(Klasse, saksmappe.klasse_id)
        old_klasse = old.klasse_id if old else None
    who = access.actor(caller)
    if "klasse_id" in values and values["klasse_id"] != saksmappe.klasse_id:
        await changelog.changed(session, saksmappe, "saksmappe", who=who, changes={"klasse": (old_klasse, klasse_name)})
    klasse_value = values.pop("klasse_id", saksmappe.klasse_id)
    changed = await _apply(session, saksmappe, "saksmappe", who, values, {"saksansvarlig_id": "saksansvarlig"})
    if klasse_value != saksmappe.klasse_id:
        saksmappe.klasse_id = klasse_value
        changed.append("klasse")
        await session.flush()
    if changed and ({"tittel", "offentlig_tittel"} & values.keys() or skjerming):
        await _reindex_case(session, saksmappe)
    if changed:
        await ctx.outbox.add(session, SaksmappeCorrected(
            saksmappe_id=saksmappe.system_id, changed_fields=sorted(changed), endret_av=who, endret_dato=now_utc()))
    return saksmappe


async def correct_journalpost(session: AsyncSession, *, ctx: Context, caller: Caller, journalpost_id: UUID,
                              patch: JournalpostPatch, if_match: str | None) -> Journalpost:
    if if_match is None:
        matches(None, "")
    journalpost = await session.get(Journalpost, journalpost_id, with_for_update=True)
    if journalpost is None:
        raise NotFound("No journalpost has this systemID.")
    saksmappe = await get_saksmappe(session, journalpost.saksmappe_id)
    await _authorize(session, caller, await access.journalpost_resource(session, journalpost, saksmappe,
                                                                        today_in_oslo()))
    if not matches(if_match, etag(journalpost)):
        raise PreconditionFailed("The journalpost changed since it was read; read it again and repeat the correction.")
    fields = patch.model_fields_set
    today = today_in_oslo()
    values: dict[str, Any] = {}
    for name in ("tittel", "dokumentets_dato", "mottatt_dato", "forfallsdato"):
        if name in fields:
            values[name] = getattr(patch, name)
    for name, column in (("mottattDato", "mottatt_dato"), ("dokumentetsDato", "dokumentets_dato")):
        if values.get(column) is not None and values[column] > today:
            raise Unprocessable(f"{name} is in the future.",
                                errors=[{"field": f"body.{name}", "message": "in the future", "code": "future_date"}])
    if "mottatt_dato" in values and values["mottatt_dato"] is None \
            and journalpost.journalposttype == Journalposttype.I.kode:
        raise Unprocessable("An incoming journalpost (I) needs mottattDato, the date it was received.",
                            errors=[{"field": "body.mottattDato", "message": "may not be null", "code": "not_null"}])
    skjerming = _skjerming_changes(journalpost, patch)
    await access.require_known_code(session, skjerming.get("tilgangsrestriksjon"), field="body.skjerming.tilgangsrestriksjon")
    values.update(skjerming)
    metadata = skjerming.get("skjerming_metadata", journalpost.skjerming_metadata)
    parts = list((await session.execute(
        select(Korrespondansepart).where(col(Korrespondansepart.journalpost_id) == journalpost_id))).scalars())
    words = []
    if screening.screens(metadata, screening.SENDER_CODES | screening.RECIPIENT_CODES):
        words = [p.korrespondansepart_navn for p in parts]
    public = _new_public_title(journalpost, patch, words, screening.TITLE_CODES_REGISTRERING, metadata)
    if public is not None:
        values["offentlig_tittel"] = public
    who = access.actor(caller)
    changed = await _apply(session, journalpost, "journalpost", who, values, {})
    if changed:
        await _reindex(session, journalpost, saksmappe, parts)
        await ctx.outbox.add(session, JournalpostCorrected(
            journalpost_id=journalpost.system_id, saksmappe_id=journalpost.saksmappe_id,
            changed_fields=sorted(changed), endret_av=who, endret_dato=now_utc()))
    return journalpost


async def _reindex(session: AsyncSession, journalpost: Journalpost, saksmappe: Saksmappe,
                   parts: list[Korrespondansepart] | None = None) -> None:
    if parts is None:
        parts = list((await session.execute(select(Korrespondansepart).where(
            col(Korrespondansepart.journalpost_id) == journalpost.system_id))).scalars())
    await search.remove(session, journalpost.system_id)
    await search.index(session, journalpost, saksmappe, parts)


async def _reindex_case(session: AsyncSession, saksmappe: Saksmappe) -> None:
    """The case's titles are part of each of its journalposts' search text."""
    rows = (await session.execute(select(Journalpost).where(col(Journalpost.saksmappe_id) == saksmappe.system_id))).scalars()
    for journalpost in list(rows):
        await _reindex(session, journalpost, saksmappe)
