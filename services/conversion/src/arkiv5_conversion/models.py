"""Tables of the conversion service: its own metadata, migrated by its own Alembic history."""

from __future__ import annotations

from sqlalchemy.orm import registry
from sqlmodel import SQLModel

from arkiv5_kit.messaging import messaging_metadata


class ConversionTable(SQLModel, registry=registry()):
    """Base of every table model of this service (`class X(ConversionTable, table=True)`).

    Its own registry keeps these tables out of SQLModel's global metadata, so services
    sharing one process never see each other's tables.
    """


metadata = ConversionTable.metadata

# Everything Alembic compares against: the service's tables and the kit's outbox and inbox.
migration_metadata = [metadata, messaging_metadata]
