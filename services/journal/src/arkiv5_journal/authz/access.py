"""Authorisation: every case-level check goes through `authorize`, which asks the shared policy.

The principal comes from the local read model of the access service's events
(`RightsChanged`, `GroupChanged`, `AccountDisabled`), so a request never waits on the
access service. A system client without rights in the read model acts with the role its
token names (fagsystem or intern-tjeneste) and no access codes; its scopes were checked
before we get here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from arkiv5_contracts.codelists import Journalstatus, Saksstatus, Tilgangsrestriksjon
from arkiv5_contracts.envelope import Envelope
from arkiv5_contracts.events.access import AccessCodeChanged, GroupChanged, RightsChanged
from arkiv5_contracts.policy import Action, Decision, Principal, Resource, ResourceKind, Role, decide
from arkiv5_kit.auth import Principal as Caller
from arkiv5_kit.clock import SYSTEM_CLOCK, Clock
from arkiv5_kit.errors import Forbidden

from ..errors import UnknownCode
from ..models import Journalpost, KontoSperre, Rettighet, Saksmappe, Tilgangsgruppe, Tilgangskode

_SYSTEM_ROLES = {Role.FAGSYSTEM.value, Role.INTERN_TJENESTE.value}
_CLOSED = {Saksstatus.A.kode, Saksstatus.U.kode}


_CLOCK: ContextVar[Clock] = ContextVar("arkiv5_journal_clock", default=SYSTEM_CLOCK)


@contextmanager
def using_clock(clock: Clock) -> Iterator[None]:
    """Decisions taken while the block runs (one request) use `clock` (the app's; a test moves it)."""
    token = _CLOCK.set(clock)
    try:
        yield
    finally:
        _CLOCK.reset(token)


def clock() -> Clock:
    return _CLOCK.get()


def decision_day() -> date:
    """The Norwegian date decisions are taken for: the policy's validity windows (a right that
    starts tomorrow, one that ended yesterday) and lifted screenings are judged on this day,
    the same day the decision API is asked about."""
    return _CLOCK.get().today()


def actor(caller: Caller) -> str:
    """What opprettetAv / endretAv records: the person id, else the client's subject."""
    return str(caller.claims.person_id) if caller.claims.person_id else caller.claims.sub


async def principal_for(session: AsyncSession, caller: Caller, at: date) -> Principal:
    """The caller's principal on `at`, read once per transaction (lists check many records)."""
    key = ("arkiv5.journal.principal", caller.claims.sub, caller.claims.person_id, at)
    cached = session.info.get(key)
    if cached is None:
        cached = await _load_principal(session, caller, at)
        session.info[key] = cached
    return cached


# The statements of a decision, built once: a request runs them several times, and building a
# statement (its clauses, then its cache key) cost about as much as executing it.
_RIGHTS_ON = (
    select(Rettighet)
    .where(col(Rettighet.person_id) == bindparam("person_id"), col(Rettighet.valid_from) <= bindparam("at"))
    .order_by(col(Rettighet.valid_from).desc())
    .limit(1)
)
_GROUPS_VALID_FROM = select(Tilgangsgruppe).where(col(Tilgangsgruppe.valid_from) <= bindparam("at"))


async def _load_principal(session: AsyncSession, caller: Caller, at: date) -> Principal:
    claims = caller.claims
    person_id = claims.person_id
    if person_id is None:
        try:
            person_id = UUID(claims.sub)
        except ValueError:
            person_id = None
    rights = None
    if person_id is not None:
        rights = (await session.execute(_RIGHTS_ON, {"person_id": person_id, "at": at})).scalar_one_or_none()
    if rights is None:
        if claims.person_id is not None:
            raise Forbidden("No rights are registered for this person on this date.", rule="principal.no-rights")
        roles = frozenset(Role(r) for r in claims.roles if r in _SYSTEM_ROLES) or frozenset({Role.FAGSYSTEM})
        return Principal(person_id=person_id or UUID(int=0), roles=roles, valid_from=date(1900, 1, 1))
    sperre = await session.get(KontoSperre, rights.person_id)
    disabled = sperre is not None and sperre.disabled_from <= at
    groups = set(rights.group_ids)
    rows = (await session.execute(_GROUPS_VALID_FROM, {"at": at})).scalars()
    for group in rows:
        if (group.valid_to is None or group.valid_to >= at) and str(rights.person_id) in group.member_person_ids:
            groups.add(str(group.group_id))
    known = {role.value for role in Role}
    return Principal(
        person_id=rights.person_id,
        roles=frozenset(Role(r) for r in rights.roles if r in known),
        unit_id=rights.unit_id,
        led_unit_ids=frozenset(UUID(u) for u in rights.led_unit_ids),
        access_codes=frozenset(rights.access_codes),
        group_ids=frozenset(UUID(g) for g in groups),
        valid_from=rights.valid_from,
        valid_to=rights.valid_to,
        is_disabled=disabled,
    )


_GROUPS = "arkiv5.journal.groups"


async def prefetch_groups(session: AsyncSession, *, saksmappe_ids: set[UUID], journalpost_ids: set[UUID]) -> None:
    """Load the access groups of a page of records in one query (lists check every record)."""
    rows = (await session.execute(select(col(Tilgangsgruppe.group_id), col(Tilgangsgruppe.saksmappe_id),
                                         col(Tilgangsgruppe.journalpost_id)).where(
        col(Tilgangsgruppe.saksmappe_id).in_(saksmappe_ids) | col(Tilgangsgruppe.journalpost_id).in_(journalpost_ids)
    ))).all()
    cache: dict[UUID, set[UUID]] = {i: set() for i in saksmappe_ids | journalpost_ids}
    for group_id, saksmappe_id, journalpost_id in rows:
        for owner in (saksmappe_id, journalpost_id):
            if owner is not None:
                cache.setdefault(owner, set()).add(group_id)
    session.info.setdefault(_GROUPS, {}).update(cache)


def _group_query(*, journalpost: bool, narrowed: bool) -> Any:
    owner = col(Tilgangsgruppe.saksmappe_id) == bindparam("saksmappe_id")
    if journalpost:
        owner = owner | (col(Tilgangsgruppe.journalpost_id) == bindparam("journalpost_id"))
    query = select(col(Tilgangsgruppe.group_id)).where(owner)
    if narrowed:
        query = query.where(col(Tilgangsgruppe.group_id).in_(bindparam("group_ids", expanding=True)))
    return query


# (with a journalpost, narrowed to a principal's groups) -> the statement
_GROUP_QUERIES = {(journalpost, narrowed): _group_query(journalpost=journalpost, narrowed=narrowed)
                  for journalpost in (False, True) for narrowed in (False, True)}


async def _group_ids_of(
    session: AsyncSession, *, saksmappe_id: UUID, journalpost_id: UUID | None, principal: Principal | None
) -> frozenset[UUID]:
    """The record's access groups; with a principal, only those the principal belongs to.

    The policy asks only whether the principal shares a group with the record, so for a
    decision about one caller the narrowed set decides exactly as the whole set would, and
    a caller in no group needs no query at all.
    """
    if principal is not None and not principal.group_ids:
        return frozenset()
    cache = session.info.get(_GROUPS, {})
    if saksmappe_id in cache and (journalpost_id is None or journalpost_id in cache):
        ids = cache[saksmappe_id] | (cache[journalpost_id] if journalpost_id else set())
    else:
        parameters: dict[str, Any] = {"saksmappe_id": saksmappe_id}
        if journalpost_id is not None:
            parameters["journalpost_id"] = journalpost_id
        if principal is not None:
            parameters["group_ids"] = list(principal.group_ids)
        query = _GROUP_QUERIES[(journalpost_id is not None, principal is not None)]
        ids = set((await session.execute(query, parameters)).scalars())
    return frozenset(ids if principal is None else ids & principal.group_ids)


_HANDLERS = select(col(Journalpost.saksbehandler_id)).where(
    col(Journalpost.saksmappe_id) == bindparam("saksmappe_id"), col(Journalpost.saksbehandler_id).is_not(None))
_IS_HANDLER = _HANDLERS.where(col(Journalpost.saksbehandler_id) == bindparam("person_id")).limit(1)


_HANDLER_CACHE = "arkiv5.journal.handlers"


async def prefetch_handlers(session: AsyncSession, saksmappe_ids: set[UUID]) -> None:
    """The case handlers of these cases' journalposts in one query, for a page of cases:
    `_handlers_of` then reads them from the session instead of asking once per case."""
    if not saksmappe_ids:
        return
    cache: dict[UUID, set[UUID]] = {i: set() for i in saksmappe_ids}
    for saksmappe_id, handler in (await session.execute(
            select(col(Journalpost.saksmappe_id), col(Journalpost.saksbehandler_id)).distinct().where(
                col(Journalpost.saksmappe_id).in_(saksmappe_ids), col(Journalpost.saksbehandler_id).is_not(None)))).all():
        if handler is not None:
            cache[saksmappe_id].add(handler)
    session.info.setdefault(_HANDLER_CACHE, {}).update(cache)


async def _handlers_of(session: AsyncSession, saksmappe_id: UUID, principal: Principal | None) -> frozenset[UUID]:
    """Case handlers of the case's journalposts; with a principal, only whether it is one of them."""
    cached = session.info.get(_HANDLER_CACHE, {}).get(saksmappe_id)
    if cached is not None:
        if principal is None:
            return frozenset(cached)
        # As below: a system client is nobody's case handler.
        return frozenset(cached & {principal.person_id}) if principal.person_id.int else frozenset()
    if principal is None:
        result = await session.execute(_HANDLERS, {"saksmappe_id": saksmappe_id})
    elif principal.person_id.int == 0:  # a system client is nobody's case handler
        return frozenset()
    else:
        result = await session.execute(_IS_HANDLER, {"saksmappe_id": saksmappe_id, "person_id": principal.person_id})
    return frozenset(h for h in result.scalars() if h is not None)


def _active_code(code: str | None, opphoerer: date | None, at: date) -> str | None:
    return code if code and (opphoerer is None or opphoerer >= at) else None


async def _principal_or_none(session: AsyncSession, caller: Caller | None, at: date) -> Principal | None:
    if caller is None:
        return None
    try:
        return await principal_for(session, caller, at)
    except Forbidden:
        return None  # the decision will refuse; the full resource costs nothing extra then


async def saksmappe_resource(session: AsyncSession, saksmappe: Saksmappe, at: date, *,
                             caller: Caller | None = None) -> Resource:
    """The case as the policy sees it; with `caller`, narrowed to what that caller's decision reads."""
    principal = await _principal_or_none(session, caller, at)
    return Resource(
        kind=ResourceKind.SAKSMAPPE,
        id=saksmappe.system_id,
        unit_id=saksmappe.administrativ_enhet_id,
        saksansvarlig_id=saksmappe.saksansvarlig_id,
        journalpost_saksbehandler_ids=await _handlers_of(session, saksmappe.system_id, principal),
        access_code=_active_code(saksmappe.tilgangsrestriksjon, saksmappe.skjerming_opphoerer_dato, at),
        group_ids=await _group_ids_of(session, saksmappe_id=saksmappe.system_id, journalpost_id=None,
                                      principal=principal),
        saksstatus=Saksstatus(saksmappe.saksstatus),
        is_closed=saksmappe.saksstatus in _CLOSED,
    )


async def journalpost_resource(
    session: AsyncSession, journalpost: Journalpost, saksmappe: Saksmappe, at: date, *, caller: Caller | None = None
) -> Resource:
    """The journalpost as the policy sees it; with `caller`, its groups narrowed to that caller's."""
    principal = await _principal_or_none(session, caller, at)
    # The journalpost's own screening, else its case's: a screened case screens its posts.
    code = _active_code(journalpost.tilgangsrestriksjon, journalpost.skjerming_opphoerer_dato, at) or _active_code(
        saksmappe.tilgangsrestriksjon, saksmappe.skjerming_opphoerer_dato, at
    )
    return Resource(
        kind=ResourceKind.JOURNALPOST,
        id=journalpost.system_id,
        unit_id=journalpost.administrativ_enhet_id,
        saksansvarlig_id=saksmappe.saksansvarlig_id,
        saksbehandler_id=journalpost.saksbehandler_id,
        access_code=code,
        group_ids=await _group_ids_of(session, saksmappe_id=saksmappe.system_id,
                                      journalpost_id=journalpost.system_id, principal=principal),
        journalstatus=Journalstatus(journalpost.journalstatus),
        is_closed=saksmappe.saksstatus in _CLOSED,
    )


async def authorize(session: AsyncSession, caller: Caller, action: Action, resource: Resource) -> None:
    """Raise Forbidden unless the policy allows `action`; the reason names the rule, never data."""
    at = decision_day()
    decision = decide(await principal_for(session, caller, at), action, resource, at)
    if not decision.allowed:
        raise Forbidden(decision.reason, rule=decision.rule)


_ASSIGNERS = frozenset({Role.ARKIVLEDER, Role.ARKIVTJENESTE})


async def authorize_assignment(session: AsyncSession, caller: Caller, resource: Resource) -> None:
    """Who is saksansvarlig or saksbehandler of a restricted record is an act of its own: the
    archive service's, or a leader's who is cleared for the record's access code. Being made
    responsible lets a person read the record, so the act must never be a way to clearance."""
    if resource.access_code is None:
        return  # not restricted: the write's own rule decides
    principal = await principal_for(session, caller, decision_day())
    if principal.roles & _ASSIGNERS:
        return
    if Role.LEDER in principal.roles and resource.access_code in principal.access_codes:
        return
    raise Forbidden("Changing who is responsible for a restricted record needs the archive service or a leader "
                    "cleared for its access code.", rule="assign.restricted.not-cleared")


async def decision(session: AsyncSession, caller: Caller, action: Action, resource: Resource) -> Decision:
    """The policy's decision with its rule (for the sporingslogg); a caller without rights is refused."""
    at = decision_day()
    try:
        principal = await principal_for(session, caller, at)
    except Forbidden as refused:
        return Decision(allowed=False, rule="principal.no-rights", reason=refused.detail)
    return decide(principal, action, resource, at)


async def is_allowed(session: AsyncSession, caller: Caller, action: Action, resource: Resource) -> bool:
    at = decision_day()
    try:
        principal = await principal_for(session, caller, at)
    except Forbidden:
        return False
    return decide(principal, action, resource, at).allowed


# --- access codes ------------------------------------------------------------------------

_NOARK_CODES = frozenset(code.kode for code in Tilgangsrestriksjon)


async def require_known_code(session: AsyncSession, code: str | None, *, field: str) -> None:
    """A skjerming's tilgangsrestriksjon is a Noark code or a local code the access service
    published; anything else is refused naming the field, never the value sent."""
    if code is None or code in _NOARK_CODES or await session.get(Tilgangskode, code) is not None:
        return
    raise UnknownCode(
        f"{field} is neither a code of the Noark 5 list tilgangsrestriksjon (M500) nor a local access code "
        "published by the access service (GET /access/access-codes lists both).",
        errors=[{"field": field, "message": "unknown access code", "code": "unknown_code"}])


# --- read model consumers ---------------------------------------------------------------


async def on_access_code_changed(session: AsyncSession, envelope: Envelope[Any]) -> None:
    """Idempotent: the code as it stands replaces what was kept."""
    event: AccessCodeChanged = envelope.data
    row = await session.get(Tilgangskode, event.code)
    if row is None:
        session.add(Tilgangskode(kode=event.code, er_lokal=event.is_local))
    else:
        row.er_lokal = event.is_local
    await session.flush()


async def on_rights_changed(session: AsyncSession, envelope: Envelope[Any]) -> None:
    event: RightsChanged = envelope.data
    row = await session.get(Rettighet, (event.person_id, event.valid_from))
    if row is not None and row.version >= event.version:
        return  # an older snapshot arriving late changes nothing
    values = dict(
        version=event.version,
        valid_to=event.valid_to,
        roles=list(event.roles),
        unit_id=event.unit_id,
        led_unit_ids=[str(u) for u in event.led_unit_ids],
        access_codes=list(event.access_codes),
        group_ids=[str(g) for g in event.group_ids],
    )
    if row is None:
        session.add(Rettighet(person_id=event.person_id, valid_from=event.valid_from, **values))
    else:
        for key, value in values.items():
            setattr(row, key, value)
    await session.flush()


async def on_group_changed(session: AsyncSession, envelope: Envelope[Any]) -> None:
    event: GroupChanged = envelope.data
    row = await session.get(Tilgangsgruppe, event.group_id)
    if row is not None and row.version >= event.version:
        return
    values = dict(
        version=event.version, is_ad_hoc=event.is_ad_hoc, saksmappe_id=event.saksmappe_id,
        journalpost_id=event.journalpost_id, member_person_ids=[str(p) for p in event.member_person_ids],
        valid_from=event.valid_from, valid_to=event.valid_to,
    )
    if row is None:
        session.add(Tilgangsgruppe(group_id=event.group_id, **values))
    else:
        for key, value in values.items():
            setattr(row, key, value)
    await session.flush()
