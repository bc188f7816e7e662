"""What the conversion service needs: the production-format documents, and the checks on an archival variant.

These calls are made with service tokens; the scope is the permission, so no case-level
policy check runs here (docs/conversion.md).
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from arkiv5_contracts.codelists import Variantformat
from arkiv5_contracts.internal import ProductionDocument
from arkiv5_kit.errors import Conflict, Unprocessable

from ..blobstore import StoredBlob
from ..models import Dokumentbeskrivelse, Dokumentobjekt
from ..store.repository import get_journalpost


async def production_documents(session: AsyncSession, *, journalpost_id: UUID) -> list[ProductionDocument]:
    """The production-format (P) dokumentobjekter of a journalpost: what conversion converts."""
    await get_journalpost(session, journalpost_id)
    rows = (await session.execute(
        select(Dokumentobjekt)
        .join(Dokumentbeskrivelse, col(Dokumentobjekt.dokumentbeskrivelse_id) == col(Dokumentbeskrivelse.system_id))
        .where(col(Dokumentbeskrivelse.journalpost_id) == journalpost_id,
               col(Dokumentobjekt.variantformat) == Variantformat.P.kode)
        .order_by(col(Dokumentbeskrivelse.dokumentnummer), col(Dokumentobjekt.versjonsnummer))
    )).scalars()
    return [ProductionDocument(dokumentobjekt_id=o.system_id, sha256=o.sjekksum, size=o.filstoerrelse,
                               media_type=o.format, variantformat=o.variantformat) for o in rows]


def check_source_checksum(source: Dokumentobjekt, source_sha256: str | None) -> None:
    """The archival variant belongs to the bytes it was made from; other bytes are a stale result."""
    if source_sha256 is not None and source_sha256.strip().lower() != source.sjekksum:
        raise Conflict("X-Source-Sha256 is not the checksum of this dokumentobjekt; nothing was attached.")


def check_archival_checksum(blob: StoredBlob, archival_sha256: str | None) -> None:
    if archival_sha256 is not None and archival_sha256.strip().lower() != blob.sha256:
        raise Unprocessable("X-Archival-Sha256 does not match the received bytes; nothing was attached.")

