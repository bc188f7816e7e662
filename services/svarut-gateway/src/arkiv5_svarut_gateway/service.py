"""The dispatch state machine: never twice, never lost.

    DispatchRequested ─► PENDING ─(persist)─► SENDING ─(id)──────────────► ACCEPTED ─► COMPLETED
                          ▲   │                  │ (surely not sent)          ▲   (terminal status)
                          │   │                  ▼                            │
                          │   │               PENDING (backoff)               │
                          │   │                  │ (timeout / reset / 5xx / crash)
                          │   ▼                  ▼                            │
                          │ REJECTED ◄──(4xx)  UNCERTAIN ──(eksternRef found)─┘
                          └──(not found through the whole look-up window)──┘

The row is committed as SENDING *before* the HTTP call, so after a crash we know a send may
be in flight. Whatever leaves its outcome unknown moves the row to UNCERTAIN, where the
eksternRef (unique per letter: `<dispatch id>:<recipient id>`) is looked up repeatedly
through SvarUt's processing window before the letter may be sent again. On start-up every
SENDING row is reconciled the same way. Transitions are conditional updates, so two
workers can never both send the same PENDING row. Events go through the outbox in the
transaction of the transition.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from arkiv5_contracts.envelope import Envelope, EventData
from arkiv5_contracts.events.dispatch import (
    DispatchAccepted,
    DispatchRejected,
    DispatchStatusChanged,
    DispatchWaiting,
)
from arkiv5_contracts.events.journal import DispatchRequested
from arkiv5_kit.db import Database
from arkiv5_kit.dml import insert_ignore
from arkiv5_kit.outbox import Outbox

from . import metrics
from .conversion_client import ConversionClient, ConversionFailed, ConversionPending
from .domain import reasons
from .domain.addressing import Refusal, route
from .domain.forsendelse import PDF, Document, build_forsendelse, check_pdf, check_size, valid_unique_filenames
from .domain.material import DispatchMaterial
from .domain.reasons import Waiting
from .groupcommit import DeferredOutbox, GroupCommit
from .journal_client import JournalClient, JournalNotFound, JournalUnavailable
from .models import DispatchState as S
from .models import Forsendelse
from .settings import SvarutGatewaySettings
from .svarut.client import Ambiguous, NotSent, QueryFailed, SendRefused, SvarutClient
from .svarut.crypto import encrypt_for_svarut
from .svarut.spec import SchemaViolation

log = logging.getLogger(__name__)

TERMINAL_STATUSES = frozenset({
    "LEST", "LEVERT_SDP", "PRINTET", "IKKE_LEVERT", "AVVIST", "FEILET_UNDER_MOTTAK",
    "MANUELT_HANDTERT", "SLETTET", "LEVERT_NHN_MOTTAKER",
})
_DIGITS = re.compile(r"\d{6,}")
_NAMESPACE = uuid.UUID("0b7f0d8e-3f3c-4c1e-9a55-5a7e6d2f9c01")


def now() -> datetime:
    return datetime.now(UTC)


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands timestamps back without their (UTC) zone."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def forsendelse_id(dispatch_id: UUID, recipient_id: UUID) -> UUID:
    return uuid.uuid5(_NAMESPACE, f"{dispatch_id}:{recipient_id}")


def ekstern_referanse(dispatch_id: UUID, recipient_id: UUID) -> str:
    return f"{dispatch_id}:{recipient_id}"


# --- consuming DispatchRequested ----------------------------------------------------------


async def record_dispatches_requested(session: AsyncSession, envelopes: Sequence[Envelope[Any]]) -> None:
    """The rows of many DispatchRequested in one statement; rows that exist are left alone.

    One PENDING row per recipient; a redelivered event changes nothing: rows whose primary key
    (derived from dispatch and recipient) exists are skipped by the insert itself, instead of
    a look-up per recipient — one round trip for a whole batch of events.
    """
    at = now()
    rows: dict[UUID, dict[str, Any]] = {}
    for envelope in envelopes:
        event: DispatchRequested = envelope.data
        for recipient_id in event.recipient_ids:
            row_id = forsendelse_id(event.dispatch_id, recipient_id)
            rows.setdefault(row_id, {
                "id": row_id, "dispatch_id": event.dispatch_id, "journalpost_id": event.journalpost_id,
                "recipient_id": recipient_id, "dokumentobjekt_ids": [str(d) for d in event.dokumentobjekt_ids],
                "ekstern_ref": ekstern_referanse(event.dispatch_id, recipient_id), "state": S.PENDING,
                "send_attempts": 0, "lookups": 0, "due_at": at, "created_at": at, "updated_at": at,
            })
    if not rows:
        return
    await session.execute(insert_ignore(Forsendelse), list(rows.values()))


# --- transitions (each in the caller's transaction) ---------------------------------------


async def _transition(session: AsyncSession, row_id: UUID, from_states: Sequence[str], **values: Any) -> bool:
    result = await session.execute(
        update(Forsendelse)
        .where(col(Forsendelse.id) == row_id, col(Forsendelse.state).in_(from_states))
        .values(updated_at=now(), **values)
        # Rows are plain snapshots here, never loaded into this session: nothing to synchronise,
        # and skipping the ORM's evaluation of the WHERE clause halves the cost of a transition.
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]  # CursorResult, typed as Result


async def wait(session: AsyncSession, outbox: Outbox | DeferredOutbox, *, row: Forsendelse, waiting: Waiting,
               from_states: Sequence[str], due_at: datetime, **values: Any) -> bool:
    """Keep the letter waiting for `waiting`'s cause; True when the cause is new (the caller logs it).

    A new cause is published to the journal (`DispatchWaiting`); the same cause again only
    moves the next attempt, so a letter retried every minute does not repeat itself.
    """
    at = now()
    changed = row.reason_code != waiting.code
    since = at if changed or row.reason_since is None else aware(row.reason_since)
    if not await _transition(session, row.id, from_states, due_at=due_at, reason_code=waiting.code,
                             last_error=waiting.sentence, reason_since=since, **values):
        return False
    if changed:
        assert since is not None
        await outbox.add(session, DispatchWaiting(
            dispatch_id=row.dispatch_id, journalpost_id=row.journalpost_id, recipient_id=row.recipient_id,
            reason_code=waiting.code, reason=waiting.sentence, since=since, next_attempt_at=due_at,
        ))
    return changed


def log_waiting(row: Forsendelse, waiting: Waiting) -> None:
    """One line per new cause; ids and the code only, never the recipient."""
    log.warning("letter waiting: %s", waiting.code, extra={
        "forsendelse_id": str(row.id), "dispatch_id": str(row.dispatch_id), "reason_code": waiting.code})


async def reject(session: AsyncSession, outbox: Outbox | DeferredOutbox, *, row: Forsendelse, refusal: Refusal,
                 from_states: Sequence[str] = (S.PENDING, S.SENDING)) -> bool:
    if not await _transition(session, row.id, from_states, state=S.REJECTED, reason_code=refusal.reason_code,
                             last_error=refusal.reason[:300], reason_since=now()):
        return False
    await outbox.add(session, DispatchRejected(
        dispatch_id=row.dispatch_id, journalpost_id=row.journalpost_id, recipient_id=row.recipient_id,
        svarut_id=row.svarut_id, reason_code=refusal.reason_code, reason=refusal.reason[:500],
    ))
    return True


async def accept(session: AsyncSession, outbox: Outbox | DeferredOutbox, *, row: Forsendelse, svarut_id: UUID,
                 poll_after_s: float) -> bool:
    at = now()
    if not await _transition(session, row.id, (S.SENDING, S.UNCERTAIN, S.PENDING), state=S.ACCEPTED,
                             svarut_id=svarut_id, accepted_at=at, uncertain_since=None, last_error=None,
                             reason_code=None, reason_since=None,
                             due_at=at + timedelta(seconds=poll_after_s)):
        return False
    await outbox.add(session, DispatchAccepted(
        dispatch_id=row.dispatch_id, journalpost_id=row.journalpost_id, recipient_id=row.recipient_id,
        svarut_id=svarut_id, accepted_at=at,
    ))
    return True


async def _uncertain(session: AsyncSession, outbox: Outbox | DeferredOutbox, row: Forsendelse,
                     waiting: Waiting) -> bool:
    at = now()
    return await wait(session, outbox, row=row, waiting=waiting, from_states=(S.SENDING,), due_at=at,
                      state=S.UNCERTAIN, uncertain_since=at)


async def reconcile_in_flight(session: AsyncSession, *, older_than: datetime | None = None) -> int:
    """SENDING rows (a send may have been in flight when we stopped) → UNCERTAIN, looked up now."""
    at = now()
    condition = [col(Forsendelse.state) == S.SENDING]
    if older_than is not None:
        condition.append(col(Forsendelse.send_started_at) < older_than)
    result = await session.execute(
        update(Forsendelse).where(*condition).values(
            state=S.UNCERTAIN, uncertain_since=at, due_at=at, updated_at=at,
            reason_code=reasons.INTERRUPTED.code, last_error=reasons.INTERRUPTED.sentence, reason_since=at)
    )
    if older_than is None:
        # At start-up, work claimed by a worker that stopped is due again at once.
        await session.execute(
            update(Forsendelse)
            .where(col(Forsendelse.state).in_((S.PENDING, S.UNCERTAIN)), col(Forsendelse.due_at) > at)
            .values(due_at=at)
        )
    return result.rowcount or 0  # type: ignore[attr-defined]


def refused_by_svarut(exc: SendRefused) -> str:
    """SvarUt's own message, for the case handler; long digit runs (a number it echoed) are cut out."""
    message = _DIGITS.sub("…", " ".join(exc.message.split()))[:150].rstrip(" .")
    said = f": «{message}»" if message else ""
    return (f"SvarUt refused the letter ({exc.status} {exc.code or 'validation error'}){said}. "
            "Nothing was sent; check the recipient and the documents and send again.")


# --- the worker ---------------------------------------------------------------------------


@dataclass
class Gateway:
    settings: SvarutGatewaySettings
    database: Database
    outbox: Outbox
    svarut: SvarutClient
    journal: JournalClient
    conversion: ConversionClient

    def __post_init__(self) -> None:
        self._semaphore = asyncio.Semaphore(self.settings.worker_concurrency)
        self._in_flight: set[UUID] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.commits = GroupCommit(self.database, self.outbox)
        self.wake = asyncio.Event()

    def _backoff(self, attempts: int) -> timedelta:
        s = self.settings
        return timedelta(seconds=min(s.send_retry_max_s, s.send_retry_initial_s * 2 ** max(0, attempts - 1)))

    async def _claim(self, states: Sequence[str], limit: int, lease_s: float) -> list[Forsendelse]:
        """Due rows, pushed `lease_s` into the future so the next round does not pick them again."""
        at = now()
        async with self.database.unit_of_work() as session:
            query = (select(Forsendelse)
                     .where(col(Forsendelse.state).in_(states), col(Forsendelse.due_at) <= at)
                     .order_by(col(Forsendelse.due_at)).limit(limit))
            if self.database.is_postgres:
                query = query.with_for_update(skip_locked=True)
            rows = [r for r in (await session.execute(query)).scalars() if r.id not in self._in_flight]
            if rows:
                await session.execute(update(Forsendelse)
                                      .where(col(Forsendelse.id).in_([r.id for r in rows]))
                                      .values(due_at=at + timedelta(seconds=lease_s))
                                      .execution_options(synchronize_session=False))
            return rows

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    async def run_dispatch_round(self) -> int:
        """Top up the letters in flight (up to the batch size) with due PENDING and UNCERTAIN rows.

        A pipeline rather than claim-then-wait-for-all: a slow letter holds only its own slot,
        and the next claim happens as soon as there is room. Returns how many were claimed,
        after waiting, when more than half the batch is in flight, until no more than half is.
        """
        s = self.settings
        # Claim in chunks of at least half the batch: a claim per finished letter would be a
        # transaction per letter again.
        while len(self._tasks) > s.worker_batch_size // 2:
            await asyncio.wait(set(self._tasks), return_when=asyncio.FIRST_COMPLETED)
        room = s.worker_batch_size - len(self._tasks)
        rows = await self._claim((S.PENDING, S.UNCERTAIN), room, s.resolved_stale_sending_s())
        for row in rows:
            self._in_flight.add(row.id)
            task = asyncio.create_task(self._work(row), name="svarut-dispatch")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return len(rows)

    async def finish_in_flight(self, *, cancel: bool = False) -> None:
        """Wait for the letters in flight (cancelling them first if asked).

        If this wait is cancelled, the gather cancels them too; either way each records
        what it knows (a send cut mid-call becomes UNCERTAIN) before this returns.
        """
        tasks = list(self._tasks)
        if cancel:
            for task in tasks:
                task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _work(self, row: Forsendelse) -> None:
        async with self._semaphore:
            try:
                if row.state == S.PENDING:
                    await self.send_one(row)
                else:
                    await self.look_up_one(row)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # never let one letter stop the worker
                log.error("dispatch step failed", extra={"forsendelse_id": str(row.id),
                                                        "error_type": type(exc).__name__})
                with contextlib.suppress(Exception):
                    await self._retry_later(row, reasons.UNEXPECTED, self._backoff(1))
            finally:
                self._in_flight.discard(row.id)

    async def _retry_later(self, row: Forsendelse, waiting: Waiting, delay: timedelta, *,
                           from_states: Sequence[str] = (S.PENDING, S.UNCERTAIN), **values: Any) -> None:
        due_at = now() + delay
        if await self.commits.run(lambda session: wait(session, self.commits.outbox, row=row, waiting=waiting,
                                                       from_states=from_states, due_at=due_at, **values)):
            log_waiting(row, waiting)

    async def _reject(self, row: Forsendelse, refusal: Refusal) -> None:
        # Counted after the commit: a batch retried unit by unit runs its units twice.
        if await self.commits.run(lambda session: reject(session, self.commits.outbox, row=row, refusal=refusal)):
            metrics.DISPATCHES.labels(metrics.SERVICE, "rejected").inc()

    async def _accept(self, row: Forsendelse, svarut_id: UUID) -> None:
        poll_after_s = self.settings.status_poll_interval_s
        if await self.commits.run(lambda session: accept(session, self.commits.outbox, row=row, svarut_id=svarut_id,
                                                         poll_after_s=poll_after_s)):
            metrics.DISPATCHES.labels(metrics.SERVICE, "accepted").inc()

    async def _documents(self, row: Forsendelse, material: DispatchMaterial) -> list[Document] | Refusal:
        """The archival PDF of each document, hoveddokument first; converted on demand.

        The request names each document by its production dokumentobjekt, the id the material lists
        it under; the archival variant's id names the same document (older requests used it).
        """
        by_id = {d.archival_pdf_dokumentobjekt_id: d for d in material.documents if d.archival_pdf_dokumentobjekt_id}
        by_id.update({d.dokumentobjekt_id: d for d in material.documents})
        wanted = [UUID(i) for i in row.dokumentobjekt_ids]
        missing = [i for i in wanted if i not in by_id]
        if missing:
            return Refusal("document-not-found", "A document to be sent is not part of the journalpost.")
        unique = list({by_id[i].dokumentobjekt_id: by_id[i] for i in wanted}.values())  # each document once
        refs = sorted(unique, key=lambda d: not d.hoveddokument)  # stable: order kept
        names = valid_unique_filenames([d.filnavn or d.tittel for d in refs])
        documents = []
        for ref, name in zip(refs, names, strict=True):
            source = ref.archival_pdf_dokumentobjekt_id
            if source is None and ref.media_type == PDF:
                source = ref.dokumentobjekt_id
            try:
                if source is None:
                    source = await self.conversion.convert(ref.dokumentobjekt_id)
                # A format kept as it is (an image, text) has no archival PDF: a copy made for sending.
                content = await (self.journal.download(source) if source is not None
                                 else self.conversion.sending_copy(ref.dokumentobjekt_id))
            except ConversionFailed:
                return Refusal("conversion-failed",
                               "A document could not be converted to PDF; attach it as PDF and send again.")
            if (problem := check_pdf(content)) is not None:
                return problem
            documents.append(Document(name, content, PDF))
        if (problem := check_size(documents, max_total_bytes=self.settings.svarut_max_total_bytes)) is not None:
            return problem
        return documents

    async def send_one(self, row: Forsendelse) -> None:
        s = self.settings
        try:
            material = await self.journal.get_dispatch_material(row.journalpost_id)
            recipient = material.recipient(row.recipient_id)
            if recipient is None:
                return await self._reject(row, Refusal("recipient-not-found",
                                                       "The recipient is no longer a korrespondansepart of the journalpost."))
            decided = route(recipient, screened=material.skjermet)
            if isinstance(decided, Refusal):
                return await self._reject(row, decided)
            documents = await self._documents(row, material)
        except (JournalUnavailable, ConversionPending) as exc:
            waiting = reasons.CONVERSION_PENDING if isinstance(exc, ConversionPending) else reasons.JOURNAL_UNAVAILABLE
            return await self._retry_later(row, waiting, self._backoff(row.send_attempts + 1))
        except JournalNotFound:
            return await self._reject(row, Refusal("journalpost-not-found",
                                                   "The journalpost or a document was not found in the journal."))
        if isinstance(documents, Refusal):
            return await self._reject(row, documents)
        encrypted = False
        if decided.high_security:
            if not s.svarut_encryption_certificate_pem:
                # Nothing changes until an administrator acts: look again only at the longest backoff.
                return await self._retry_later(row, reasons.ENCRYPTION_CERTIFICATE_MISSING,
                                               timedelta(seconds=s.send_retry_max_s))
            documents = [Document(d.filnavn, encrypt_for_svarut(d.content, s.svarut_encryption_certificate_pem),
                                  d.mime_type) for d in documents]
            encrypted = True
        forsendelse = build_forsendelse(
            material=material, navn=(recipient.navn or "").strip(), route=decided, documents=documents,
            ekstern_referanse=row.ekstern_ref, avgivende_system=s.svarut_avgivende_system, encrypted=encrypted,
        )

        # Persist "a send may be in flight" before the call: a crash after this point is reconciled.
        started = now()
        claimed = await self.commits.run(lambda session: _transition(
            session, row.id, (S.PENDING,), state=S.SENDING, channel=decided.channel.value,
            send_attempts=row.send_attempts + 1, send_started_at=started,
            due_at=started + timedelta(seconds=s.resolved_stale_sending_s())))
        if not claimed:
            return  # someone else moved it on
        try:
            svarut_id = await self.svarut.send(forsendelse.channel.value, forsendelse.metadata, forsendelse.files)
        except SendRefused as exc:
            metrics.SVARUT_CALLS.labels(metrics.SERVICE, "send", "refused").inc()
            return await self._reject(row, Refusal("avvist", refused_by_svarut(exc)))
        except SchemaViolation as exc:
            # Our forsendelse breaks KS's schema: nothing was sent. A defect, not the case handler's.
            log.error("forsendelse fails KS's schema", extra={"forsendelse_id": str(row.id), "error": str(exc)})
            return await self._reject(row, Refusal(
                "invalid-forsendelse", "The letter could not be built for SvarUt; contact the system administrator."))
        except NotSent as exc:
            metrics.SVARUT_CALLS.labels(metrics.SERVICE, "send", "not_sent").inc()
            waiting = reasons.BY_CODE.get(exc.reason, reasons.SVARUT_UNREACHABLE)
            return await self._retry_later(row, waiting, self._backoff(row.send_attempts + 1),
                                           from_states=(S.SENDING,), state=S.PENDING)
        except asyncio.CancelledError:
            # Stopped mid-call: the letter may have gone. Recorded directly (not via the group
            # commit) so it is written before the stop goes on to close the database.
            metrics.SVARUT_CALLS.labels(metrics.SERVICE, "send", "ambiguous").inc()
            async with self.database.unit_of_work() as session:
                await _uncertain(session, self.outbox, row, reasons.INTERRUPTED)
            log_waiting(row, reasons.INTERRUPTED)
            raise
        except Exception as exc:  # Ambiguous, or anything else mid-call
            metrics.SVARUT_CALLS.labels(metrics.SERVICE, "send", "ambiguous").inc()
            waiting = reasons.BY_CODE.get(exc.reason, reasons.SVARUT_TIMEOUT) if isinstance(exc, Ambiguous) \
                else reasons.UNEXPECTED
            if await self.commits.run(lambda session: _uncertain(session, self.commits.outbox, row, waiting)):
                log_waiting(row, waiting)
            return
        metrics.SVARUT_CALLS.labels(metrics.SERVICE, "send", "ok").inc()
        await self._accept(row, svarut_id)

    async def look_up_one(self, row: Forsendelse) -> None:
        """UNCERTAIN: did SvarUt get it? Ask until the processing window has passed."""
        s = self.settings
        try:
            ids = await self.svarut.lookup(row.ekstern_ref)
        except QueryFailed:
            metrics.SVARUT_CALLS.labels(metrics.SERVICE, "lookup", "failed").inc()
            return await self._retry_later(row, reasons.LOOKUP_FAILED, timedelta(seconds=s.lookup_interval_s),
                                           from_states=(S.UNCERTAIN,))
        metrics.SVARUT_CALLS.labels(metrics.SERVICE, "lookup", "ok").inc()
        if ids:
            if len(ids) > 1:
                log.error("eksternRef found more than once", extra={"forsendelse_id": str(row.id), "count": len(ids)})
            await self._accept(row, ids[0])
            return

        async def not_found(session: AsyncSession) -> bool:
            at = now()
            since = aware(row.uncertain_since) or at
            if at - since >= timedelta(seconds=s.lookup_window_s):
                # Not there through SvarUt's whole processing window: it was never taken.
                return await wait(session, self.commits.outbox, row=row, waiting=reasons.NOT_FOUND_SENDING_AGAIN,
                                  from_states=(S.UNCERTAIN,), due_at=at, state=S.PENDING, uncertain_since=None,
                                  lookups=row.lookups + 1)
            await _transition(session, row.id, (S.UNCERTAIN,), lookups=row.lookups + 1,
                              due_at=at + timedelta(seconds=s.lookup_interval_s))
            return False

        if await self.commits.run(not_found):
            log_waiting(row, reasons.NOT_FOUND_SENDING_AGAIN)

    # --- status tracking ----------------------------------------------------------------

    async def run_status_round(self) -> int:
        """Poll one batch of accepted letters; publish changes; returns how many were polled."""
        s = self.settings
        rows = await self._claim((S.ACCEPTED,), s.status_batch_size, s.status_poll_interval_s)
        rows = [r for r in rows if r.svarut_id is not None]
        if not rows:
            return 0
        try:
            statuses = await self.svarut.statuses([r.svarut_id for r in rows])  # type: ignore[misc]
        except QueryFailed:
            metrics.SVARUT_CALLS.labels(metrics.SERVICE, "status", "failed").inc()
            return len(rows)  # the claim already moved them to the next poll
        metrics.SVARUT_CALLS.labels(metrics.SERVICE, "status", "ok").inc()
        by_id = {st.id: st for st in statuses}
        completed = 0
        async with self.database.unit_of_work() as session:
            changes: list[EventData] = []
            for row in rows:
                st = by_id.get(row.svarut_id)  # type: ignore[arg-type]
                if st is None or st.status == row.svarut_status:
                    continue
                terminal = st.status in TERMINAL_STATUSES
                values: dict[str, Any] = {"svarut_status": st.status, "status_changed_at": st.changed_at}
                if terminal:
                    values["state"] = S.COMPLETED
                attention = reasons.STATUS_NEEDS_ATTENTION.get(st.status)
                if attention is not None:
                    values.update(reason_code=attention.code, last_error=attention.sentence, reason_since=now())
                if not await _transition(session, row.id, (S.ACCEPTED,), **values):
                    continue
                changes.append(DispatchStatusChanged(
                    dispatch_id=row.dispatch_id, journalpost_id=row.journalpost_id, recipient_id=row.recipient_id,
                    svarut_id=st.id, status=st.status, is_terminal=terminal, changed_at=st.changed_at,
                    reason_code=attention.code if attention else None, reason=attention.sentence if attention else None,
                ))
                completed += terminal
            await self.outbox.add_many(session, changes)  # one INSERT for the batch's events
        if completed:
            metrics.DISPATCHES.labels(metrics.SERVICE, "completed").inc(completed)
        return len(rows)
