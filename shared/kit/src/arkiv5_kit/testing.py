"""Test helpers for services: an in-memory transport, schema set-up, polling and ports.

`RecordingTransport` is a fake for unit tests only; integration tests use the embedded
transport and the real Kafka broker. `eventually` waits for what crosses the bus
asynchronously; `free_port` finds a port for a server a test starts on 127.0.0.1;
`MigratedDatabases` migrates each schema once per session and copies it for every test.
"""

from __future__ import annotations

import asyncio
import inspect
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from arkiv5_contracts.cloudevents import from_binary
from arkiv5_contracts.envelope import Envelope

from .db import Database
from .messaging import messaging_metadata
from .transport.base import IncomingRecord, OutgoingMessage

T = TypeVar("T")


class RecordingTransport:
    """Keeps every published message in a list; subscribers read that list in order."""

    name = "recording"

    def __init__(self) -> None:
        self.messages: list[OutgoingMessage] = []
        self.fail_next_publishes = 0
        self._published = asyncio.Event()

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def publish(self, messages: Sequence[OutgoingMessage]) -> None:
        if self.fail_next_publishes:
            self.fail_next_publishes -= 1
            raise ConnectionError("recording transport told to fail")
        self.messages.extend(messages)
        self._published.set()

    def envelopes(self, topic: str | None = None) -> list[Envelope[Any]]:
        return [from_binary(m.headers, m.value) for m in self.messages if topic in (None, m.topic)]

    def subscriber(self, group: str, topics: Sequence[str]) -> RecordingSubscriber:
        return RecordingSubscriber(self, group, list(topics))


class RecordingSubscriber:
    def __init__(self, transport: RecordingTransport, group: str, topics: list[str]) -> None:
        self.transport = transport
        self.group = group
        self.topics = topics
        self.committed = 0
        self._position = 0
        self._interrupted = asyncio.Event()

    async def start(self) -> None:
        self._interrupted.clear()
        self._position = self.committed

    def interrupt(self) -> None:
        self._interrupted.set()
        self.transport._published.set()  # wakes a waiting fetch, which then reads what there is

    async def stop(self) -> None:
        return None

    async def fetch(self, max_records: int, timeout_s: float) -> list[IncomingRecord]:
        if self._position >= len(self.transport.messages):
            self.transport._published.clear()
            try:
                await asyncio.wait_for(self.transport._published.wait(), timeout=timeout_s)
            except TimeoutError:
                return []
        records: list[IncomingRecord] = []
        while self._position < len(self.transport.messages) and len(records) < max_records:
            message = self.transport.messages[self._position]
            if message.topic in self.topics:
                records.append(
                    IncomingRecord(message.topic, 0, self._position, message.key, message.value,
                                   tuple(message.headers))
                )
            self._position += 1
        return records

    async def commit(self, records: Sequence[IncomingRecord]) -> None:
        if records:
            self.committed = max(self.committed, max(r.offset for r in records) + 1)

    async def rewind(self) -> None:
        self._position = self.committed

    async def lag(self) -> dict[str, int]:
        return {}


async def create_messaging_schema(database: Database) -> None:
    """Create the outbox and inbox without Alembic (for kit tests of bare databases)."""
    async with database.engine.begin() as connection:
        await connection.run_sync(messaging_metadata.create_all)


class TestTokenIssuer:
    """Mints RS256 tokens the way the access service does, with a JWKS to verify them.

    For service tests: `app.state.token_verifier = issuer.verifier("journal")`, then
    `headers=issuer.headers(sub=..., scopes=[...], roles=[...], person_id=...)`.

    Issuers with the same `issuer` and `kid` share one RSA key per process: generating a
    2048-bit key costs 0.1–1 s (more on a loaded machine) and nearly every service test makes
    an issuer, while what a test proves with it never depends on the key being new.
    `fresh_key=True` makes one of its own, for a test that needs a second key under the same
    issuer and kid (a forged signature).
    """

    __test__ = False  # not a pytest test class

    _shared_keys: ClassVar[dict[tuple[str, str], tuple[str, dict[str, Any]]]] = {}

    def __init__(self, issuer: str = "https://access.arkiv5.test", kid: str = "test-key-1", *,
                 fresh_key: bool = False) -> None:
        self.issuer = issuer
        self.kid = kid
        shared = None if fresh_key else self._shared_keys.get((issuer, kid))
        if shared is None:
            shared = _new_rsa_key(kid)
            if not fresh_key:
                self._shared_keys[(issuer, kid)] = shared
        self.private_pem, public = shared
        self.public_jwk: dict[str, Any] = dict(public)

    @property
    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.public_jwk]}

    def verifier(self, audience: str) -> Any:
        from .auth import JwksCache, TokenVerifier

        return TokenVerifier(JwksCache(keys=[self.public_jwk]), issuer=self.issuer, audience=audience)

    def token(
        self,
        *,
        sub: str,
        audience: str | list[str],
        scopes: Sequence[str] = (),
        roles: Sequence[str] = (),
        person_id: Any = None,
        lifetime_s: int = 300,
        **extra: Any,
    ) -> str:
        import time

        from jose import jwt

        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer, "sub": sub, "aud": audience, "iat": now, "nbf": now, "exp": now + lifetime_s,
            "scope": " ".join(scopes), "roles": list(roles), **extra,
        }
        if person_id is not None:
            claims["person_id"] = str(person_id)
        return jwt.encode(claims, self.private_pem, algorithm="RS256", headers={"kid": self.kid})

    def headers(self, **kwargs: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(**kwargs)}"}


def _new_rsa_key(kid: str) -> tuple[str, dict[str, Any]]:
    """A new RS256 key: its private PEM and its public JWK (with `kid`)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from jose import jwk

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = jwk.construct(private_pem, "RS256").public_key().to_dict()
    public.update(kid=kid, alg="RS256", use="sig")
    return private_pem, public


async def eventually(
    check: Callable[[], Awaitable[T] | T], *, timeout_s: float = 10.0, interval_s: float = 0.05, what: str = "",
) -> T:
    """Call `check` (sync or async) until it returns something truthy, and return that.

    Fails the test with the last value seen when `timeout_s` passes first.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what or 'the condition'}: {result!r}")
        await asyncio.sleep(interval_s)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (the OS picks it; bind to it soon after)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class MigratedDatabases:
    """Each schema migrated once per test session, and a copy of it for every test.

    Building and migrating a database per test is most of what a service test costs (on
    PostgreSQL several seconds). This migrates each service's schema (its Alembic folder) once
    and copies it: on SQLite the migrated file is copied to where the test's database goes;
    on PostgreSQL a database is created with `CREATE DATABASE … TEMPLATE` from one migrated
    once. A copy is at the newest revision, so the service may start with
    `migrate_on_start=False`. The templates are private to this object (unique names,
    dropped by `close()`), so test sessions running at once never share one.
    """

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self._sqlite: dict[Path, Path] = {}
        self._postgres: dict[tuple[str, Path], str] = {}

    async def sqlite_copy(self, migrations_dir: Path, target: Path) -> str:
        """Put a migrated SQLite database at `target` (which must not exist); returns its URL."""
        import shutil

        from .db import Database
        from .migrations import upgrade

        key = migrations_dir.resolve()
        template = self._sqlite.get(key)
        if template is None:
            template = self.workdir / f"template-{len(self._sqlite)}-{key.parent.name}.sqlite"
            database = Database(f"sqlite+aiosqlite:///{template}")
            try:
                await upgrade(database, key)
            finally:
                await database.dispose()
            self._sqlite[key] = template
        if target.exists():
            raise FileExistsError(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template, target)
        return f"sqlite+aiosqlite:///{target}"

    async def postgres_copy(self, server_url: str, migrations_dir: Path, name: str) -> str:
        """Create the database `name` on `server_url`'s server as a copy of the migrated template."""
        key = (server_url, migrations_dir.resolve())
        template = self._postgres.get(key)
        if template is None:
            from .db import Database
            from .migrations import upgrade

            template = f"tpl_{uuid.uuid4().hex[:16]}"
            await _postgres_admin(server_url, [f'CREATE DATABASE "{template}"'])
            database = Database(_with_database(server_url, template), pool_size=1)
            try:
                await upgrade(database, key[1])
            finally:
                await database.dispose()  # no connection may stay on a template while it is copied
            self._postgres[key] = template
        await _postgres_admin(server_url, [f'CREATE DATABASE "{name}" TEMPLATE "{template}"'])
        return _with_database(server_url, name)

    async def aclose(self) -> None:
        """Drop the PostgreSQL templates (the SQLite ones live in `workdir`)."""
        for (server_url, _), template in self._postgres.items():
            await _postgres_admin(server_url, [f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)'])
        self._postgres.clear()


def _with_database(url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=name).render_as_string(hide_password=False)


async def _postgres_admin(server_url: str, statements: Sequence[str]) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    dsn = make_url(server_url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()
