"""Fixtures of the conversion tests: the listener pool, a converter, an app with a fake journal."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from arkiv5_conversion.testing import settings_for_tests

sys.path.insert(0, str(Path(__file__).parent))

from fakes import FakeJournal  # noqa: E402
from required import missing  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from arkiv5_conversion.app import MIGRATIONS_DIR, create_app  # noqa: E402
from arkiv5_conversion.engine.listeners import ListenerPool, libreoffice_available  # noqa: E402
from arkiv5_conversion.engine.verapdf import VeraPdf, default_classpath, verapdf_available  # noqa: E402
from arkiv5_conversion.pipeline import Converter  # noqa: E402
from arkiv5_conversion.policy import load_policy  # noqa: E402
from arkiv5_conversion.validate import BasicPdfaValidator  # noqa: E402
from arkiv5_kit.testing import MigratedDatabases, TestTokenIssuer  # noqa: E402
from arkiv5_kit.transport.embedded import EmbeddedTransport  # noqa: E402


def _missing(what: str) -> None:
    missing(what, state="not installed")


@pytest.fixture
def libreoffice() -> None:
    problem = libreoffice_available("soffice", "/usr/bin/python3")
    if problem:
        _missing(problem)


@pytest.fixture
async def verapdf() -> AsyncIterator[VeraPdf]:
    """veraPDF's long-lived process (fetch it once: `python3 scripts/verapdf.py fetch`)."""
    if verapdf_available("java", default_classpath()):
        _missing("veraPDF (fetch it: python3 scripts/verapdf.py fetch)")
    engine = VeraPdf(timeout_s=120)
    yield engine
    await engine.stop()


@pytest.fixture
def ghostscript_installed() -> None:
    from arkiv5_conversion.engine import ghostscript

    if not ghostscript.available("gs"):
        _missing("Ghostscript")




@pytest.fixture
async def pool(libreoffice: None) -> AsyncIterator[ListenerPool]:
    pool = ListenerPool(2, soffice="soffice", python="/usr/bin/python3", memory_mb=4096, restart_after=50)
    yield pool
    await pool.close()


@pytest.fixture
async def converter(pool: ListenerPool, ghostscript_installed: None, tmp_path: Path) -> Converter:
    return Converter(settings_for_tests(tmp_path), load_policy(), pool, BasicPdfaValidator())


class AppHarness:
    def __init__(self, app, journal: FakeJournal, issuer: TestTokenIssuer) -> None:  # type: ignore[no-untyped-def]
        self.app = app
        self.journal = journal
        self.issuer = issuer
        self.service = app.state.conversion
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")

    def headers(self, *scopes: str) -> dict[str, str]:
        return self.issuer.headers(sub="svarut-gateway", audience="conversion", scopes=list(scopes))


@pytest.fixture
async def make_app(tmp_path: Path, migrated_databases: MigratedDatabases):  # type: ignore[no-untyped-def]
    made: list[AppHarness] = []

    async def factory(  # type: ignore[no-untyped-def]
        journal: FakeJournal | None = None, *, start: bool = True, office=None, validator_impl=None, **overrides
    ) -> AppHarness:
        journal = journal or FakeJournal()
        settings = settings_for_tests(tmp_path, **overrides)
        database = make_url(settings.resolved_database_url())
        if ("migrate_on_start" not in overrides and database.get_backend_name() == "sqlite"
                and database.database and not Path(database.database).exists()):
            # A copy of the schema migrated once this session, instead of migrating per test.
            await migrated_databases.sqlite_copy(MIGRATIONS_DIR, Path(database.database))
            settings = settings_for_tests(tmp_path, **{**overrides, "migrate_on_start": False})
        bus = EmbeddedTransport(f"sqlite+aiosqlite:///{tmp_path}/bus.sqlite")
        # The job tests use the basic validator unless they ask otherwise (no JVM per test);
        # the validator setting itself is tested in test_verapdf.py.
        if validator_impl is None and "validator" not in overrides:
            validator_impl = BasicPdfaValidator()
        app = create_app(settings, bus=bus, journal=journal, office=office, validator=validator_impl)
        issuer = TestTokenIssuer()
        app.state.token_verifier = issuer.verifier("conversion")
        harness = AppHarness(app, journal, issuer)
        if start:
            await app.state.runtime.start()
        made.append(harness)
        return harness

    yield factory
    for harness in made:
        await harness.client.aclose()
        await harness.app.state.runtime.stop()


@pytest.fixture
async def make_db_app(make_app, db_backend: Any):  # type: ignore[no-untyped-def]
    """`make_app` on SQLite and on PostgreSQL (the root `db_backend` fixture): for the tests of the
    job engine, whose claims, leases, uniqueness and counts are the database's work."""
    url = await db_backend.migrated(MIGRATIONS_DIR)

    async def factory(*args, **overrides):  # type: ignore[no-untyped-def]
        return await make_app(*args, **{"database_url": url, "migrate_on_start": False, **overrides})

    return factory
