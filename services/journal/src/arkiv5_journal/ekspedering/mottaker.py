"""Correcting a korrespondansepart (a refused recipient's address, number or name) so the letter can go again.

Refused while that recipient's letter is requested, waiting, accepted or delivered: what
is on its way or arrived stays as it was sent. Each changed field is change-logged on the
korrespondansepart, and the journalpost's version (its ETag) moves, so If-Match guards
against a correction of what another person just changed.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from pydantic import Field, model_validator
from sqlalchemy.ext.asyncio import AsyncSession

from arkiv5_contracts.identifiers import Fodselsnummer, Organisasjonsnummer
from arkiv5_contracts.policy import Action
from arkiv5_kit.auth import Principal as Caller
from arkiv5_kit.errors import Forbidden, NotFound, Unprocessable

from .. import corrections, search
from ..authz import access
from ..domain.numbering import today_in_oslo
from ..errors import PreconditionFailed, PreconditionRequired, WrongStatus
from ..models import Journalpost, Korrespondansepart, Saksmappe
from ..schemas import ApiModel
from ..store import changelog, forsendelser
from ..store.repository import get_saksmappe

IMMUTABLE = ("systemID", "korrespondanseparttype", "forsendelseStatus", "forsendelseFeilkode", "forsendelseFeil")


class KorrespondansepartPatch(ApiModel):
    """The correctable fields of a korrespondansepart (JSON merge-patch: null removes a value)."""

    korrespondansepart_navn: str | None = Field(default=None, min_length=1, max_length=500)
    foedselsnummer: Fodselsnummer | None = None
    organisasjonsnummer: Organisasjonsnummer | None = None
    postadresse: list[Annotated[str, Field(max_length=255)]] | None = Field(default=None, max_length=5)
    postnummer: str | None = Field(default=None, pattern=r"^[0-9A-Za-z -]{2,10}$")
    poststed: str | None = Field(default=None, max_length=100)
    land: str | None = Field(default=None, max_length=100)
    epostadresse: str | None = Field(default=None, max_length=255)
    telefonnummer: str | None = Field(default=None, max_length=50)
    kontaktperson: str | None = Field(default=None, max_length=255)

    @model_validator(mode="after")
    def _name_stays(self) -> KorrespondansepartPatch:
        if "korrespondansepart_navn" in self.model_fields_set and self.korrespondansepart_navn is None:
            raise ValueError("korrespondansepartNavn cannot be removed")
        return self


async def correct_korrespondansepart(
    session: AsyncSession, *, caller: Caller, journalpost_id: UUID, part_id: UUID, patch: KorrespondansepartPatch,
    if_match: str | None,
) -> tuple[Journalpost, Saksmappe, Korrespondansepart]:
    if if_match is None:
        raise PreconditionRequired("A correction needs the If-Match header with the ETag as read.")
    journalpost = await forsendelser.lock_journalpost(session, journalpost_id)
    part = await session.get(Korrespondansepart, part_id)
    if journalpost is None or part is None or part.journalpost_id != journalpost_id:
        raise NotFound("The journalpost has no korrespondansepart with this systemID.")
    saksmappe = await get_saksmappe(session, journalpost.saksmappe_id)
    resource = await access.journalpost_resource(session, journalpost, saksmappe, today_in_oslo())
    try:
        await access.authorize(session, caller, Action.UPDATE, resource)
    except Forbidden as refused:
        try:
            await access.authorize(session, caller, Action.CORRECT, resource)
        except Forbidden:
            raise refused from None
    tags = {t.strip().removeprefix("W/") for t in if_match.split(",")}
    if "*" not in tags and corrections.etag(journalpost) not in tags:
        raise PreconditionFailed("The journalpost changed since it was read; read it again and repeat the correction.")
    letter = await forsendelser.newest_letter(session, part_id)
    if letter is not None and letter.state in forsendelser.ACTIVE_STATES:
        raise WrongStatus(f"The letter to this recipient is {letter.state}; a korrespondansepart is corrected only "
                          "before sending or after a refusal.", forsendelseStatus=letter.state)
    values: dict[str, Any] = {name: getattr(patch, name) for name in patch.model_fields_set}
    if "postadresse" in values and values["postadresse"] is None:
        values["postadresse"] = []
    merged = {name: values.get(name, getattr(part, name)) for name in ("foedselsnummer", "organisasjonsnummer")}
    if merged["foedselsnummer"] and merged["organisasjonsnummer"]:
        raise Unprocessable("A korrespondansepart is a person (foedselsnummer) or an organisation "
                             "(organisasjonsnummer), not both.")
    changes = {changelog._noark_name(name): (getattr(part, name), value) for name, value in values.items()}
    changed = [name for name, value in values.items() if getattr(part, name) != value]
    if changed:
        await changelog.changed(session, part, "korrespondansepart", who=access.actor(caller), changes=changes)
        for name in changed:
            setattr(part, name, values[name])
        journalpost.versjon = (journalpost.versjon or 0) + 1
        await session.flush()
        await search.remove(session, journalpost.system_id)
        await search.index(session, journalpost, saksmappe, await forsendelser.parts_of(session, journalpost_id))
    return journalpost, saksmappe, part
