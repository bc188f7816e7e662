"""What the gateway needs from the journal to dispatch one journalpost.

The journal serves this over its internal API (`GET /internal/journalposter/{id}/dispatch-material`);
the event that starts a dispatch carries ids only. These models hold personal data
(names, fødselsnummer, addresses): they live in memory while a forsendelse is built and
are never logged, persisted by the gateway, or put into events or error messages.
"""

from __future__ import annotations

from pydantic import Field

from arkiv5_contracts import internal
from arkiv5_contracts.internal import DocumentRef, NoarkMetadata, PostalAddress, Recipient

__all__ = ["DispatchMaterial", "DocumentRef", "NoarkMetadata", "PostalAddress", "Recipient"]


class DispatchMaterial(internal.DispatchMaterial):
    """The journal's dispatch material, with the one rule the gateway adds: something to send."""

    documents: list[DocumentRef] = Field(min_length=1)
