"""Fixtures for the real PostgreSQL server and the real Kafka broker, shared by all tests.

Integration tests read where the servers are from the environment (`make test` and CI set
it after `make pg-up kafka-up`):

- `ARKIV5_TEST_POSTGRES_URL` — e.g. postgresql+asyncpg://arkiv5:arkiv5@127.0.0.1:55432/arkiv5
- `ARKIV5_TEST_KAFKA_STATE_DIR` — the state folder of a broker started by scripts/kafka_broker.py
  (tests may stop and restart that broker to prove nothing is lost)

Without them the tests that need a server are skipped — unless `ARKIV5_REQUIRE_SERVICES=1`
(as in CI), which turns every such skip into a failure.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

# Helpers for the cross-service tests (processes, support apps) import as plain modules.
sys.path.insert(0, str(Path(__file__).parent / "tests" / "support"))

from backends import DatabaseBackend, database_url_named  # noqa: E402
from required import missing  # noqa: E402

from arkiv5_kit.testing import MigratedDatabases  # noqa: E402
from project import load_script  # noqa: E402

# Modules whose expensive module-scoped fixture must run once under pytest-xdist (`-n`): their
# tests go to one worker together. On `--dist load` each worker that got one of their tests
# built the fixture again (the real corpus: all 78 conversions on every worker). xdist's own
# `xdist_group` mark does not take effect with pytest 9 (it renames `item._nodeid`, which
# pytest 9 no longer reads), so the grouping is by path here.
ONE_WORKER_MODULES = frozenset({
    "services/conversion/tests/test_real_corpus.py",
    "tests/test_hostile_inputs.py",   # these two start the suite once per backend for all their tests
    "tests/test_hostile_uploads.py",
})


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`--dist load` (what `-n` gives) with the modules above each kept on one worker."""
    if config.getoption("dist") != "load":
        return None  # another distribution the caller chose: xdist's own
    from xdist.scheduler import LoadScopeScheduling

    class LoadKeepingModulesWhole(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return module if module in ONE_WORKER_MODULES else nodeid

    return LoadKeepingModulesWhole(config, log)



def images_requested() -> bool:
    return os.environ.get("ARKIV5_TEST_IMAGES", "").lower() in ("1", "true", "yes")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `images` run only on request: without it they are deselected, not skipped,
    so a run's skips stay what they mean here (never a missing service: that fails)."""
    if images_requested():
        return
    deselected = [item for item in items if item.get_closest_marker("images") is not None]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if item.get_closest_marker("images") is None]


@pytest.fixture(scope="session", autouse=True)
def cheap_secret_hashing() -> Iterator[None]:
    """Argon2 at its smallest cost while tests run in this process; production keeps argon2's defaults.

    At the defaults (64 MiB, 3 passes, 4 lanes) one hash or check costs 0.1 s on a quiet
    2-core machine and ~1 s under load, and every access app start seeds two hashes and every
    sign-in checks one: seconds per test that prove nothing about the code under test. The
    hashes stay argon2id and are checked the same way; only the cost parameters differ.
    """
    try:
        from arkiv5_access.domain import secrets
    except ImportError:  # a checkout without the access service
        yield
        return
    from argon2 import PasswordHasher

    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    saved = secrets._hasher, secrets._DUMMY_HASH
    secrets._hasher, secrets._DUMMY_HASH = cheap, cheap.hash("arkiv5-no-such-account")
    yield
    secrets._hasher, secrets._DUMMY_HASH = saved


@pytest.fixture(scope="session", autouse=True)
def suite_snapshots_dropped() -> Iterator[None]:
    """At the end of the session, the one-process suite's snapshots (tests/support/suite_snapshot.py)
    and their PostgreSQL template databases, if a cross-service test took one."""
    yield
    snapshots = sys.modules.get("suite_snapshot")
    if snapshots is not None:
        snapshots.drop_snapshots()


@pytest.fixture(scope="session")
def postgres_url() -> str:
    url = os.environ.get("ARKIV5_TEST_POSTGRES_URL")
    if not url:
        missing("PostgreSQL (ARKIV5_TEST_POSTGRES_URL)")
    assert url
    return url


@pytest.fixture
async def postgres_database(postgres_url: str) -> AsyncIterator[str]:
    """A brand-new, empty database for one test, dropped afterwards."""
    async for url in _fresh_postgres_database(postgres_url):
        yield url


@pytest.fixture(scope="session")
def migrated_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MigratedDatabases]:
    """Each service's schema migrated once per session; tests get copies (`DatabaseBackend.migrated`)."""
    templates = MigratedDatabases(tmp_path_factory.mktemp("migrated"))
    yield templates
    # Session teardown runs outside any event loop of the tests: drop the PostgreSQL templates.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, templates.aclose()).result()


@pytest.fixture(params=["sqlite", "postgresql"])
async def db_backend(request: pytest.FixtureRequest, tmp_path: Path,
                     migrated_databases: MigratedDatabases) -> AsyncIterator[DatabaseBackend]:
    """Run the test once on SQLite (the embedded default) and once on a fresh PostgreSQL database.

    A test that touches the database takes this fixture instead of being written twice; the
    PostgreSQL run skips without a server on a developer machine and fails in CI. A service
    fixture takes `await db_backend.migrated(MIGRATIONS_DIR)` for a database already at the
    newest schema (copied from a template migrated once per session).
    """
    if request.param == "sqlite":
        yield DatabaseBackend("sqlite", f"sqlite+aiosqlite:///{tmp_path}/db_backend.sqlite", migrated_databases)
        return
    url = os.environ.get("ARKIV5_TEST_POSTGRES_URL")
    if not url:
        missing("PostgreSQL (ARKIV5_TEST_POSTGRES_URL)")
    assert url
    # Created when the test first needs it: empty (`url`) or from the migrated template (`migrated()`).
    backend = DatabaseBackend("postgresql", database_url_named(url, f"t_{uuid.uuid4().hex[:16]}"),
                              migrated_databases, server_url=url)
    try:
        yield backend
    finally:
        await backend.drop()


async def _fresh_postgres_database(postgres_url: str) -> AsyncIterator[str]:
    import asyncpg
    from sqlalchemy.engine import make_url

    base = make_url(postgres_url)
    name = f"t_{uuid.uuid4().hex[:16]}"
    dsn = base.set(drivername="postgresql").render_as_string(hide_password=False)
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    yield base.set(database=name).render_as_string(hide_password=False)
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
def private_kafka_broker(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A broker of the test's own, which it may stop, kill and start again: stopping the shared
    one would fail the Kafka tests running beside it (`pytest -n`) for reasons not theirs."""
    if not os.environ.get("ARKIV5_TEST_KAFKA_STATE_DIR"):
        missing("Kafka (ARKIV5_TEST_KAFKA_STATE_DIR)")
    from arkiv5_kit.testing import free_port

    ports = free_port(), free_port()
    while ports[0] == ports[1]:
        ports = free_port(), free_port()
    broker = load_script("kafka_broker").KafkaBroker(tmp_path / "kafka", port=ports[0], controller_port=ports[1])
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture(scope="session")
def kafka_broker():  # type: ignore[no-untyped-def]
    """The shared broker, for tests that only use it; a test that stops a broker takes
    `private_kafka_broker`."""
    state_dir = os.environ.get("ARKIV5_TEST_KAFKA_STATE_DIR")
    if not state_dir:
        missing("Kafka (ARKIV5_TEST_KAFKA_STATE_DIR)")
    broker = load_script("kafka_broker").KafkaBroker(Path(state_dir))
    if not broker.is_running():
        broker.start()
    yield broker
    if not broker.is_running():
        broker.start()  # leave it as we found it for the tests after us


@pytest.fixture
def kafka_bootstrap(kafka_broker) -> str:  # type: ignore[no-untyped-def]
    if not kafka_broker.is_running():
        kafka_broker.start()
    return kafka_broker.bootstrap


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path}/service.sqlite"
