"""Intake's queries that the message path relies on, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import uuid4

from arkiv5_intake import store
from arkiv5_intake.app import create_app
from arkiv5_intake.settings import IntakeSettings


async def test_an_external_key_stored_first_is_kept_when_another_message_stores_it_again(
    tmp_path: Path, db_backend: Any
) -> None:
    runtime = create_app(IntakeSettings(var_dir=tmp_path, environment="test", database_url=db_backend.url)).state.runtime
    await runtime.migrate()
    first, second = uuid4(), uuid4()
    try:
        async with runtime.database.unit_of_work() as session:
            await store.add_key_if_absent(session, kind="registrering", fagsystem="fag", noekkel="jp-1",
                                          journal_id=first, aar=2026, sekvensnummer=7, kvittering="<first/>")
        async with runtime.database.unit_of_work() as session:  # a concurrent message lost the race
            await store.add_key_if_absent(session, kind="registrering", fagsystem="fag", noekkel="jp-1",
                                          journal_id=second, kvittering="<second/>")
        async with runtime.database.unit_of_work() as session:
            row = await store.get_key(session, "registrering", "fag", "jp-1")
            other_kind = await store.get_key(session, "dokumentbeskrivelse", "fag", "jp-1")
    finally:
        await runtime.database.dispose()
    assert row is not None
    assert (row.journal_id, row.aar, row.sekvensnummer, row.kvittering) == (first, 2026, 7, "<first/>")
    assert other_kind is None
