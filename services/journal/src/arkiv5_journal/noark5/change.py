"""PATCH and PUT of a saksmappe or journalpost: one way for both verbs and both kinds.

Both verbs need the ETag as read (`If-Match`, or the `ETag` request header), end in the
same correction use case of `corrections` (its rules, its ETag check, its log) and answer
the changed object with its new ETag. PATCH sends the merge-patch itself; PUT sends the
whole object as read, and its patch is what differs (`replace.changes`).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from uuid import UUID

from fastapi import Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from arkiv5_kit.auth import Principal as Caller

from .. import corrections
from ..api.deps import ctx_of, db_of
from ..context import Context
from ..errors import PreconditionFailed
from ..models import Journalpost, Saksmappe
from ..schemas import ApiModel
from . import replace
from .http import MERGE_PATCH, hal, if_match, json_object

Patch = TypeVar("Patch", bound=ApiModel)
Record = TypeVar("Record", Saksmappe, Journalpost)


@dataclass(frozen=True)
class Changeable(Generic[Patch, Record]):
    """What differs between a saksmappe and a journalpost when they are changed."""

    patch_model: type[Patch]
    immutable: tuple[str, ...]
    server_set: frozenset[str]
    stale: str
    # The record by systemID (404 if none).
    load: Callable[[AsyncSession, UUID], Awaitable[Record]]
    # The correction use case, with the ETag as read.
    correct: Callable[[AsyncSession, Context, Caller, UUID, Patch, str], Awaitable[Record]]
    # The record rendered as the caller may see it; `answer` as the answer to a change.
    render: Callable[[AsyncSession, Request, Caller, Record, bool], Awaitable[dict[str, Any]]]


async def change(request: Request, caller: Caller, record_id: UUID, kind: Changeable[Patch, Record], *,
                 whole: bool) -> JSONResponse:
    """PATCH (`whole=False`: the body is the merge-patch) or PUT (`whole=True`: the body is the object)."""
    tag = if_match(request)
    if tag is None:
        raise corrections.PreconditionRequired("A change needs the If-Match (or ETag) header with the ETag as read.")
    body = await json_object(request, read_only=kind.server_set)
    async with db_of(request).unit_of_work() as session:
        if whole:
            record = await kind.load(session, record_id)
            current = await kind.render(session, request, caller, record, False)
            body = replace.changes(body, current, fields=replace.correctable(kind.patch_model))
            if not body:
                # Nothing to change: still only for a client that read the current version.
                if not corrections.matches(tag, corrections.etag(record)):
                    raise PreconditionFailed(kind.stale)
                return hal(request, current, etag=tag)
        patch = corrections.parse_patch(json.dumps(body).encode(), MERGE_PATCH, kind.patch_model, kind.immutable)
        record = await kind.correct(session, ctx_of(request), caller, record_id, patch, tag)
        out = await kind.render(session, request, caller, record, True)
        new_tag = corrections.etag(record)
    return hal(request, out, etag=new_tag)
