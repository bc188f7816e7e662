"""The messaging tables every service owns in its own database: outbox and inbox.

They are SQLAlchemy Core tables on their own metadata so each service's first Alembic
revision creates them (`create_messaging_tables`) next to its own tables.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    Uuid,
)

messaging_metadata = MetaData()

# SQLite only autoincrements an INTEGER PRIMARY KEY (the rowid); PostgreSQL wants BIGINT.
_BigId = BigInteger().with_variant(Integer(), "sqlite")

outbox_table = Table(
    "outbox",
    messaging_metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("event_id", Uuid, nullable=False, unique=True),
    Column("topic", String(200), nullable=False),
    Column("message_key", String(200), nullable=False),
    Column("event_type", String(200), nullable=False),
    Column("headers", JSON, nullable=False, comment="CloudEvents attributes as [name, value] pairs"),
    Column("payload", Text, nullable=False, comment="The event data as JSON"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=True),
    # The relay only ever looks for unpublished rows in id order.
    Index(
        "ix_outbox_unpublished",
        "id",
        postgresql_where=Column("published_at").is_(None),
        sqlite_where=Column("published_at").is_(None),
    ),
    Index("ix_outbox_published_at", "published_at"),
)

inbox_table = Table(
    "inbox",
    messaging_metadata,
    Column("consumer", String(200), nullable=False),
    Column("event_id", Uuid, nullable=False),
    Column("event_type", String(200), nullable=False),
    Column("processed_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("consumer", "event_id", name="pk_inbox"),
)


def create_messaging_tables(connection) -> None:  # type: ignore[no-untyped-def]
    """For a service's first migration: `create_messaging_tables(op.get_bind())`."""
    messaging_metadata.create_all(bind=connection)


def drop_messaging_tables(connection) -> None:  # type: ignore[no-untyped-def]
    messaging_metadata.drop_all(bind=connection)
