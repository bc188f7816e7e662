"""HTTP transport of Fiks Arkiv (eFormidling's integration point, tests and replays). Translates only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from pydantic import BaseModel
from starlette.datastructures import UploadFile

from arkiv5_contracts import scopes
from arkiv5_kit.auth import Principal, require_scopes

from ..errors import MessageTooLarge, MissingHeader
from ..fiksarkiv.handler import FiksArkivHandler, Melding

router = APIRouter(prefix="/fiks-arkiv", tags=["fiks-arkiv"])
SEND = scopes.INTAKE_FIKS_ARKIV
MESSAGE_PART = "melding"


class SvarOut(BaseModel):
    meldingstype: str
    xml: str | None


class SvarListe(BaseModel):
    svar: list[SvarOut]


@router.post("/meldinger", summary="Handle one Fiks Arkiv message; the answers in the order they would be sent",
             response_model=SvarListe)
async def post_melding(
    request: Request,
    principal: Annotated[Principal, Depends(require_scopes(SEND))],
    fiks_meldingstype: Annotated[str | None, Header(alias="Fiks-Meldingstype")] = None,
    klient_melding_id: Annotated[str | None, Header(alias="Klient-Melding-Id")] = None,
) -> SvarListe:
    if not fiks_meldingstype:
        raise MissingHeader("The header Fiks-Meldingstype names the message type (no.ks.fiks.arkiv.v1.…).")
    if not klient_melding_id or len(klient_melding_id) > 200:
        raise MissingHeader("The header Klient-Melding-Id (at most 200 characters) identifies the message.")
    settings = request.app.state.runtime.settings
    payload, attachments = await _read(request, settings.max_message_bytes, settings.max_attachment_bytes)
    handler: FiksArkivHandler = request.app.state.fiks_arkiv
    handled = await handler.handle(Melding(meldingstype=fiks_meldingstype, klient_melding_id=klient_melding_id,
                                           avsender=f"http:{principal.subject}", payload=payload,
                                           attachments=attachments))
    return SvarListe(svar=[SvarOut(meldingstype=s.meldingstype, xml=s.xml) for s in handled.svar])


async def _read(request: Request, max_message: int, max_attachment: int) -> tuple[bytes, dict[str, bytes]]:
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > max_message:
                raise MessageTooLarge(f"The message is larger than {max_message} bytes.")
        return bytes(body), {}
    form = await request.form(max_files=100, max_fields=10, max_part_size=max_message)
    payload: bytes | None = None
    attachments: dict[str, bytes] = {}
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            data = await value.read(max_attachment + 1)
            if name == MESSAGE_PART:
                if len(data) > max_message:
                    raise MessageTooLarge(f"The message is larger than {max_message} bytes.")
                payload = data
                continue
            if len(data) > max_attachment:
                raise MessageTooLarge(f"An attachment is larger than {max_attachment} bytes.")
            attachments[value.filename or name] = data
        elif name == MESSAGE_PART:
            payload = value.encode("utf-8")
    if payload is None:
        raise MissingHeader(f"The multipart body needs the message XML in a part named {MESSAGE_PART!r}.")
    return payload, attachments
