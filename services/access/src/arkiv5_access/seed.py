"""A small demo municipality for development and the suite (`ACCESS_SEED_DEMO=true`).

Idempotent: everything is looked up by its natural key (unit code, username, client id)
and only what is missing is added, so a restart seeds nothing twice. Every account's
secret comes from the settings; production never seeds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from arkiv5_contracts.policy import Role
from arkiv5_kit.clock import SYSTEM_CLOCK as clock
from arkiv5_kit.outbox import Outbox

from .domain import rights
from .domain.secrets import hash_secret
from .models import Account, Person, Unit

SINCE = date(2020, 1, 1)
SEEDED = rights.Granter(granted_by=None, source="seed")

UNITS = [  # code, name, parent code
    ("KOM", "Demo kommune", None),
    ("ADM", "Administrasjon", "KOM"),
    ("ARK", "Arkivtjenesten", "ADM"),
    ("IT", "IT-tjenesten", "ADM"),
    ("HO", "Helse og omsorg", "KOM"),
    ("HO-BV", "Barnevern", "HO"),
]


@dataclass(frozen=True)
class DemoPerson:
    username: str
    full_name: str
    job_title: str
    roles: tuple[Role, ...]
    unit: str
    leads: tuple[str, ...] = ()
    access_codes: tuple[str, ...] = ()


PEOPLE = [
    DemoPerson("arkivleder", "Arkiv Leder", "Arkivleder", (Role.ARKIVLEDER,), "ARK", (), ("P", "KL", "5", "6", "XX")),
    DemoPerson("arkivtjeneste", "Arkiv Medarbeider", "Arkivmedarbeider", (Role.ARKIVTJENESTE,), "ARK", (), ("5", "6")),
    DemoPerson("leder", "Helse Leder", "Kommunalsjef helse og omsorg", (Role.LEDER,), "HO", ("HO",), ("P", "KL", "6")),
    DemoPerson("saksbehandler", "Barnevern Saksbehandler", "Barnevernskonsulent", (Role.SAKSBEHANDLER,), "HO-BV",
               (), ("KL",)),
    DemoPerson("systemansvarlig", "System Ansvarlig", "IT-konsulent", (Role.SYSTEMANSVARLIG,), "IT"),
    DemoPerson("lesetilgang", "Lese Tilgang", "Konsulent", (Role.LESETILGANG,), "ADM"),
]

CLIENTS = {  # client id: (role, allowed scopes, access codes)
    "journal": (Role.INTERN_TJENESTE, ("access.decisions", "access.audit.write", "access.groups.write",
                                       "access.rights.read", "conversion.convert", "svarut-gateway.send"), ()),
    "access": (Role.INTERN_TJENESTE, ("journal.read",), ()),
    "conversion": (Role.INTERN_TJENESTE, ("journal.documents.read", "journal.documents.write-archival",
                                          "access.audit.write"), ()),
    "svarut-gateway": (Role.INTERN_TJENESTE, ("journal.read", "journal.write", "journal.dispatch",
                                              "conversion.convert", "access.audit.write"), ()),
    # intake archives on behalf of fagsystems (Fiks Arkiv) and the archive service (e-mail).
    "intake": (Role.FAGSYSTEM, ("journal.read", "journal.write"), ()),
    "demo-fagsystem": (Role.FAGSYSTEM, ("journal.read", "journal.write", "access.decisions", "intake.fiks-arkiv"), ()),
    # IT's morning check: where letters stand and last night's conversion (read only).
    "demo-overvaking": (Role.SYSTEMANSVARLIG, ("svarut-gateway.read", "conversion.report"), ()),
    # IT operations: run the nightly conversion batch by hand and follow it.
    "demo-drift": (Role.SYSTEMANSVARLIG, ("conversion.convert", "conversion.report"), ()),
}


async def seed_demo(session: AsyncSession, outbox: Outbox, *, password: str, client_secret: str) -> dict[str, UUID]:
    """Seeds what is missing; returns the id of every demo subject by username or client id."""
    units: dict[str, UUID] = {}
    for code, name, parent in UNITS:
        unit = await session.scalar(select(Unit).where(col(Unit.code) == code))
        if unit is None:
            unit = Unit(code=code, name=name, parent_id=units.get(parent) if parent else None, valid_from=SINCE,
                        created_at=clock.now())
            session.add(unit)
            await session.flush()
        units[code] = unit.id
    ids: dict[str, UUID] = {}
    password_hash: str | None = None
    for demo in PEOPLE:
        account = await session.scalar(select(Account).where(col(Account.username) == demo.username))
        if account is not None and account.person_id is not None:
            ids[demo.username] = account.person_id
            continue
        password_hash = password_hash or hash_secret(password)
        person = Person(full_name=demo.full_name, job_title=demo.job_title, created_at=clock.now())
        session.add(person)
        await session.flush()
        session.add(Account(kind="local", person_id=person.id, username=demo.username, secret_hash=password_hash,
                            created_at=clock.now()))
        pairs = rights.desired_pairs(roles=[r.value for r in demo.roles], unit_id=units[demo.unit],
                                     led_unit_ids=[units[u] for u in demo.leads], access_codes=demo.access_codes)
        await rights.add_rights(session, person_id=person.id, pairs=pairs, valid_from=SINCE, valid_to=None, by=SEEDED)
        await rights.publish_rights(session, outbox, person_id=person.id)
        ids[demo.username] = person.id
    secret_hash: str | None = None
    for client_id, (role, scopes, codes) in CLIENTS.items():
        account = await session.scalar(select(Account).where(col(Account.client_id) == client_id))
        if account is not None:
            ids[client_id] = account.id
            continue
        secret_hash = secret_hash or hash_secret(client_secret)
        account = Account(kind="client", client_id=client_id, secret_hash=secret_hash, allowed_scopes=list(scopes),
                          created_at=clock.now())
        session.add(account)
        await session.flush()
        pairs = rights.desired_pairs(roles=[role.value], access_codes=codes)
        await rights.add_rights(session, person_id=account.id, pairs=pairs, valid_from=SINCE, valid_to=None, by=SEEDED)
        await rights.publish_rights(session, outbox, person_id=account.id)
        ids[client_id] = account.id
    await session.flush()
    return ids
