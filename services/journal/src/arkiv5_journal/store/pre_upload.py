"""The session of a check before an upload's bytes are stored (a registration's case, a document's journalpost)."""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from arkiv5_kit.db import Database

# The pre-upload checks (a registration's case, a document's journalpost) only read. On
# PostgreSQL they run in autocommit, one round trip per statement: a transaction of its own
# added a BEGIN and a COMMIT, each a round trip to the server, and those round trips were the
# largest share of a registration's CPU in the profile (docs/registration-profile.md). The
# transaction that writes (the registration's, the new document's) checks it all again.
_AUTOCOMMIT_ENGINES: weakref.WeakKeyDictionary[AsyncEngine, AsyncEngine] = weakref.WeakKeyDictionary()


@asynccontextmanager
async def pre_upload_session(db: Database) -> AsyncIterator[AsyncSession]:
    """A session for a pre-upload check (`check_may_register`, `check_new_document`,
    `check_new_version`): autocommit on PostgreSQL, a unit of work elsewhere."""
    if not db.is_postgres:
        async with db.unit_of_work() as session:
            yield session
        return
    engine = _AUTOCOMMIT_ENGINES.get(db.engine)
    if engine is None:
        engine = _AUTOCOMMIT_ENGINES[db.engine] = db.engine.execution_options(isolation_level="AUTOCOMMIT")
    async with AsyncSession(engine, expire_on_commit=False) as session:
        yield session
