"""Handlers of the events the journal consumes: dispatch status, conversion results, access changes.

Each runs in the consumer's transaction with inbox deduplication (the kit); each is also
idempotent on its own, so a replayed event changes nothing twice.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from arkiv5_contracts.envelope import Envelope
from arkiv5_contracts.events.access import AccessCodeChanged, AccountDisabled, GroupChanged, RightsChanged
from arkiv5_contracts.events.conversion import ConversionDone, ConversionFailed
from arkiv5_contracts.events.dispatch import (
    DispatchAccepted,
    DispatchRejected,
    DispatchStatusChanged,
    DispatchWaiting,
)
from arkiv5_kit.accounts import recorder
from arkiv5_kit.service import ServiceRuntime

from .authz import access
from .context import Context
from .domain.numbering import OSLO
from .ekspedering import receipts
from .models import Dokumentobjekt, Journalpost, KontoSperre
from .rapporter import kvalitet
from .store import changelog


def register_consumers(runtime: ServiceRuntime, ctx: Context) -> None:
    async def dispatch_accepted(session: AsyncSession, envelope: Envelope[Any]) -> None:
        event: DispatchAccepted = envelope.data
        await receipts.on_dispatch_accepted(
            session, ctx=ctx, dispatch_id=event.dispatch_id, journalpost_id=event.journalpost_id, recipient_id=event.recipient_id,
            accepted_on=event.accepted_at.astimezone(OSLO).date())

    async def dispatch_status(session: AsyncSession, envelope: Envelope[Any]) -> None:
        event: DispatchStatusChanged = envelope.data
        await receipts.on_dispatch_status(session, dispatch_id=event.dispatch_id, journalpost_id=event.journalpost_id,
                                          recipient_id=event.recipient_id, status=event.status,
                                          is_terminal=event.is_terminal)

    async def dispatch_rejected(session: AsyncSession, envelope: Envelope[Any]) -> None:
        event: DispatchRejected = envelope.data
        await receipts.on_dispatch_failed(session, dispatch_id=event.dispatch_id, journalpost_id=event.journalpost_id,
                                          recipient_id=event.recipient_id, code=event.reason_code, reason=event.reason)

    async def dispatch_waiting(session: AsyncSession, envelope: Envelope[Any]) -> None:
        event: DispatchWaiting = envelope.data
        await receipts.on_dispatch_waiting(session, dispatch_id=event.dispatch_id, journalpost_id=event.journalpost_id,
                                           recipient_id=event.recipient_id, code=event.reason_code,
                                           reason=event.reason, since=event.since)

    runtime.add_consumer("dispatch-status", {
        DispatchAccepted: dispatch_accepted, DispatchStatusChanged: dispatch_status, DispatchRejected: dispatch_rejected,
        DispatchWaiting: dispatch_waiting,
    })
    runtime.add_consumer("conversion-results", {
        ConversionDone: conversion_done, ConversionFailed: conversion_failed,
    })
    runtime.add_consumer("access-read-model", {
        RightsChanged: access.on_rights_changed, GroupChanged: access.on_group_changed,
        AccountDisabled: recorder(KontoSperre), AccessCodeChanged: access.on_access_code_changed,
    })


async def conversion_done(session: AsyncSession, envelope: Envelope[Any]) -> None:
    """The archival variant arrives over HTTP (internal endpoint); the event only confirms it.

    If the HTTP put has not been seen (it failed after conversion), the quality report's
    "unconverted documents" keeps showing the source, so nothing is lost silently.
    """
    event: ConversionDone = envelope.data
    archival = await session.get(Dokumentobjekt, event.archival_dokumentobjekt_id)
    if archival is not None and archival.format_detaljer is None:
        archival.format_detaljer = event.archival_puid[:255]
    source = await session.get(Dokumentobjekt, event.source_dokumentobjekt_id)
    if source is not None and source.format_detaljer is None and event.source_puid:
        source.format_detaljer = event.source_puid[:255]
    if source is not None and event.archival_dokumentobjekt_id == event.source_dokumentobjekt_id:
        await kvalitet.record_kept_by_policy(session, source, event.archival_puid)  # the quality report's
    await session.flush()


async def conversion_failed(session: AsyncSession, envelope: Envelope[Any]) -> None:
    """Recorded in the journalpost's change log for the archive service's morning check."""
    event: ConversionFailed = envelope.data
    journalpost = await session.get(Journalpost, event.journalpost_id)
    if journalpost is None:
        return
    await changelog.changed(session, journalpost, "journalpost", who="conversion", changes={
        "konvertering": (None, f"failed: {event.reason_code} (dokumentobjekt {event.source_dokumentobjekt_id})")})
    await session.flush()
