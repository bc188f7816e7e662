"""The sporingslogg of screened reads: noted where the visibility module decides, sent after the request.

Every decision on screened content — shown in full (allowed), shown masked or refused
(denied) — is noted with who, when, which object, the access code and the policy rule.
Reads of unscreened material are not noted. The notes of one request are kept in memory
while it runs (a context variable, so nothing is written on the read path) and sent when
the request has ended — answered or refused, since a refused read rolls its transaction
back — as one ScreenedReadsLogged event through the outbox, in a short transaction that
writes nothing else (`send`). The access service keeps each read once in its sporingslogg.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from uuid import UUID, uuid4

from sqlalchemy.ext.asyncio import AsyncSession

from arkiv5_contracts.events.audit import ScreenedRead, ScreenedReadsLogged
from arkiv5_contracts.policy import Action, Resource
from arkiv5_kit.auth import Principal as Caller
from arkiv5_kit.context import correlation_id_var
from arkiv5_kit.db import Database
from arkiv5_kit.errors import Forbidden
from arkiv5_kit.outbox import Outbox

from . import access

_READS: ContextVar[list[ScreenedRead] | None] = ContextVar("arkiv5_journal_screened_reads", default=None)
BATCH = 500
"""Reads per event (a long list of screened records is split)."""


def note(caller: Caller, *, object_type: str, object_id: UUID, saksmappe_id: UUID, access_code: str | None,
         allowed: bool, rule: str, action: str = "read") -> None:
    """Note one decision on screened content; once per object and outcome within a request."""
    reads = _READS.get()
    if reads is None:
        return  # not inside a request (a consumer, a job): nothing is read by a person
    outcome = "allowed" if allowed else "denied"
    if any(r.object_id == object_id and r.outcome == outcome for r in reads):
        return
    claims = caller.claims
    reads.append(ScreenedRead(
        read_id=uuid4(), occurred_at=access.clock().now(), person_id=claims.person_id,
        client_id=None if claims.person_id else (claims.client_id or claims.sub)[:100],
        object_type="journalpost" if object_type == "journalpost" else "saksmappe", object_id=object_id,
        saksmappe_id=saksmappe_id, access_code=access_code, outcome=outcome, rule=rule[:100], action=action,
        correlation_id=correlation_id_var.get()))


@contextmanager
def collecting() -> Iterator[list[ScreenedRead]]:
    """The reads noted while the block runs (one request)."""
    reads: list[ScreenedRead] = []
    token = _READS.set(reads)
    try:
        yield reads
    finally:
        _READS.reset(token)


async def send(database: Database, outbox: Outbox, reads: list[ScreenedRead]) -> None:
    """The reads as events in the outbox, in a transaction of their own (nothing else in it)."""
    for start in range(0, len(reads), BATCH):
        async with database.unit_of_work() as session:
            await outbox.add(session, ScreenedReadsLogged(reads=reads[start:start + BATCH]))


async def screened_read(session: AsyncSession, caller: Caller, resource: Resource, *, screened: bool, answer: bool,
                         object_type: str, saksmappe_id: UUID) -> bool:
    """The read check, then whether screened fields may be shown; each decision on screened
    content is noted for the sporingslogg (allowed, masked or refused), unscreened reads are not."""
    def noted(allowed: bool, rule: str) -> None:
        if screened:
            note(caller, object_type=object_type, object_id=resource.id, saksmappe_id=saksmappe_id,
                         access_code=resource.access_code, allowed=allowed, rule=rule,
                         action="answer" if answer else "read")

    if not answer:
        try:
            await access.authorize(session, caller, Action.READ, resource)
        except Forbidden as refused:
            noted(False, str(refused.extensions.get("rule", "read")))
            raise
    if not screened:
        return True
    decision = await access.decision(session, caller, Action.READ_SCREENED, resource)
    noted(decision.allowed, decision.rule)
    return decision.allowed
