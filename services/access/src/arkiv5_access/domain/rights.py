"""Effective-dated rights: what a person holds on a date, their timeline, and its events.

A person's rights are `RightsEntry` rows (role, own unit, led unit, clearance for an
access code, group membership), each with its own `valid_from`/`valid_to` and ended early
only by an appended `RightsEnd`. Nothing is ever updated, so rights start and stop on
their dates without anyone acting that day: every question names a date and the rows
answer it.

Publishing: after any change to a person's rights, the person's whole timeline is cut
into periods in which nothing changes, and each period is published as a `RightsChanged`
snapshot with a new, higher version; the last period is open-ended (and empty when the
rights have stopped). A consumer asked about a date takes the covering snapshot with the
highest version — the newest change always covers every date from the first right on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from arkiv5_contracts.events.access import AccountDisabled, GroupChanged, RightsChanged
from arkiv5_contracts.policy import Principal, Role
from arkiv5_kit.clock import SYSTEM_CLOCK as clock
from arkiv5_kit.outbox import Outbox

from ..models import (
    AccessGroup,
    Account,
    AccountStatus,
    GroupSnapshot,
    Person,
    RightsEnd,
    RightsEntry,
    RightsSnapshot,
    Unit,
)

ROLE, UNIT, LEADS_UNIT, ACCESS_CODE, GROUP = "role", "unit", "leads-unit", "access-code", "group"
KINDS = (ROLE, UNIT, LEADS_UNIT, ACCESS_CODE, GROUP)


@dataclass(frozen=True)
class HeldRight:
    """A rights entry with the last day it really holds (after any early end)."""

    entry: RightsEntry
    valid_to: date | None
    ends: tuple[RightsEnd, ...] = ()

    @property
    def kind(self) -> str:
        return self.entry.kind

    @property
    def value(self) -> str:
        return self.entry.value

    @property
    def valid_from(self) -> date:
        return self.entry.valid_from

    @property
    def ever_held(self) -> bool:
        return self.valid_to is None or self.valid_to >= self.entry.valid_from

    def holds_on(self, day: date) -> bool:
        return self.entry.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass
class RightsSet:
    """What someone holds on one date: the content of one `RightsChanged` snapshot."""

    roles: set[str] = field(default_factory=set)
    unit_id: UUID | None = None
    led_unit_ids: set[UUID] = field(default_factory=set)
    access_codes: set[str] = field(default_factory=set)
    group_ids: set[UUID] = field(default_factory=set)

    def key(self) -> tuple[object, ...]:
        return (
            frozenset(self.roles), self.unit_id, frozenset(self.led_unit_ids),
            frozenset(self.access_codes), frozenset(self.group_ids),
        )


def _min_date(*days: date | None) -> date | None:
    present = [d for d in days if d is not None]
    return min(present) if present else None


async def held_rights(
    session: AsyncSession, *, person_id: UUID | None = None, kind: str | None = None, value: str | None = None
) -> list[HeldRight]:
    query = select(RightsEntry)
    if person_id is not None:
        query = query.where(col(RightsEntry.person_id) == person_id)
    if kind is not None:
        query = query.where(col(RightsEntry.kind) == kind)
    if value is not None:
        query = query.where(col(RightsEntry.value) == value)
    entries = list((await session.scalars(query.order_by(col(RightsEntry.valid_from), col(RightsEntry.created_at)))).all())
    if not entries:
        return []
    ends_by_entry: dict[UUID, list[RightsEnd]] = {}
    ends = await session.scalars(select(RightsEnd).where(col(RightsEnd.entry_id).in_([e.id for e in entries])))
    for end in ends:
        ends_by_entry.setdefault(end.entry_id, []).append(end)
    result = []
    for entry in entries:
        own_ends = tuple(sorted(ends_by_entry.get(entry.id, []), key=lambda e: e.created_at))
        valid_to = _min_date(entry.valid_to, *(e.ends_on for e in own_ends))
        result.append(HeldRight(entry, valid_to, own_ends))
    return result


async def _groups(session: AsyncSession, ids: Iterable[UUID]) -> dict[UUID, AccessGroup]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    rows = await session.scalars(select(AccessGroup).where(col(AccessGroup.id).in_(wanted)))
    return {g.id: g for g in rows}


async def unit_children(session: AsyncSession) -> dict[UUID, list[UUID]]:
    children: dict[UUID, list[UUID]] = {}
    for unit_id, parent_id in (await session.execute(select(col(Unit.id), col(Unit.parent_id)))).all():
        if parent_id is not None:
            children.setdefault(parent_id, []).append(unit_id)
    return children


def expand(led: Iterable[UUID], children: dict[UUID, list[UUID]]) -> set[UUID]:
    """The led units with every unit below them."""
    result: set[UUID] = set()
    stack = list(led)
    while stack:
        unit_id = stack.pop()
        if unit_id not in result:
            result.add(unit_id)
            stack.extend(children.get(unit_id, []))
    return result


class Timeline:
    """A person's rights over time, from their entries and the groups they name."""

    def __init__(
        self, held: list[HeldRight], groups: dict[UUID, AccessGroup], children: dict[UUID, list[UUID]]
    ) -> None:
        self.held = [h for h in held if h.ever_held]
        self.groups = groups
        self.children = children

    def _window(self, right: HeldRight) -> tuple[date, date | None]:
        start, end = right.valid_from, right.valid_to
        if right.kind == GROUP:
            group = self.groups.get(UUID(right.value))
            if group is not None:
                start = max(start, group.valid_from)
                end = _min_date(end, group.valid_to)
        return start, end

    def rights_on(self, day: date) -> RightsSet:
        result = RightsSet()
        unit_since: date | None = None
        for right in self.held:
            start, end = self._window(right)
            if not (start <= day and (end is None or day <= end)):
                continue
            if right.kind == ROLE:
                result.roles.add(right.value)
            elif right.kind == UNIT:
                # One own unit at a time; if periods overlap, the latest start wins.
                if unit_since is None or start >= unit_since:
                    result.unit_id, unit_since = UUID(right.value), start
            elif right.kind == LEADS_UNIT:
                result.led_unit_ids.add(UUID(right.value))
            elif right.kind == ACCESS_CODE:
                result.access_codes.add(right.value)
            elif right.kind == GROUP:
                result.group_ids.add(UUID(right.value))
        result.led_unit_ids = expand(result.led_unit_ids, self.children)
        return result

    def periods(self, keep: Iterable[date] = ()) -> list[tuple[date, date | None, RightsSet]]:
        """Consecutive periods in which nothing changes; the last is open-ended.

        A period also starts on every day in `keep` (the starts published before), even
        when nothing changes that day: a consumer keyed by period start then gets a newer
        snapshot for each period it holds, and no stale period survives a merge.
        """
        kept = set(keep)
        boundaries: set[date] = set(kept)
        for right in self.held:
            start, end = self._window(right)
            if end is not None and end < start:
                continue
            boundaries.add(start)
            if end is not None:
                boundaries.add(end + timedelta(days=1))
        if not boundaries:
            return []
        starts = sorted(boundaries)
        periods: list[tuple[date, date | None, RightsSet]] = []
        for index, start in enumerate(starts):
            end = starts[index + 1] - timedelta(days=1) if index + 1 < len(starts) else None
            rights = self.rights_on(start)
            if periods and periods[-1][2].key() == rights.key() and start not in kept:
                periods[-1] = (periods[-1][0], end, periods[-1][2])
            else:
                periods.append((start, end, rights))
        return periods

    def period_of(self, day: date) -> tuple[date, date | None]:
        for start, end, _rights in self.periods():
            if start <= day and (end is None or day <= end):
                return start, end
        return day, day


async def timeline(session: AsyncSession, person_id: UUID) -> Timeline:
    held = await held_rights(session, person_id=person_id)
    groups = await _groups(session, (UUID(h.value) for h in held if h.kind == GROUP))
    return Timeline(held, groups, await unit_children(session))


async def accounts_of(session: AsyncSession, subject_id: UUID) -> list[Account]:
    """A person's accounts, or the client account whose id is the subject."""
    rows = await session.scalars(
        select(Account).where((col(Account.person_id) == subject_id) | (col(Account.id) == subject_id))
    )
    return list(rows)


async def is_account_disabled(session: AsyncSession, account_id: UUID, day: date) -> bool:
    status = await session.scalar(
        select(AccountStatus)
        .where(col(AccountStatus.account_id) == account_id, col(AccountStatus.effective_from) <= day)
        .order_by(col(AccountStatus.effective_from).desc(), col(AccountStatus.created_at).desc())
        .limit(1)
    )
    return bool(status and status.is_disabled)


async def is_disabled(session: AsyncSession, subject_id: UUID, day: date) -> bool:
    """True when the subject has an account and every one of them is disabled on `day`."""
    accounts = await accounts_of(session, subject_id)
    if not accounts:
        return False
    for account in accounts:
        if not await is_account_disabled(session, account.id, day):
            return False
    return True


async def principal_at(session: AsyncSession, person_id: UUID, day: date) -> Principal:
    """The policy's principal for a person (or client account) on a date, from the tables.

    Someone with no rights on that date gets a principal with no roles, valid that day
    only, so the policy answers `default-deny` (or `validity.*` from a real period).
    """
    line = await timeline(session, person_id)
    rights = line.rights_on(day)
    start, end = line.period_of(day)
    known = {role.value for role in Role}
    return Principal(
        person_id=person_id,
        roles=frozenset(Role(r) for r in rights.roles if r in known),
        unit_id=rights.unit_id,
        led_unit_ids=frozenset(rights.led_unit_ids),
        access_codes=frozenset(rights.access_codes),
        group_ids=frozenset(rights.group_ids),
        valid_from=start,
        valid_to=end,
        is_disabled=await is_disabled(session, person_id, day),
    )


# --- changing rights (services call these; they never commit) ---------------------------


async def lock_subject(session: AsyncSession, subject_id: UUID) -> None:
    """Serialises every change of one person's (or client account's) rights.

    Call it before reading the rights that a change builds on. The row lock lasts to the end
    of the transaction, so a concurrent change of the same person waits, then reads what
    this one committed and numbers its snapshots after ours: no collision on the version,
    no change computed from stale rights. FOR NO KEY UPDATE still lets other transactions
    insert rows that refer to the person. SQLite ignores the clause; there BEGIN IMMEDIATE
    already serialises every writer.
    """
    locked = await session.scalar(select(col(Person.id)).where(col(Person.id) == subject_id).with_for_update(key_share=True))
    if locked is None:
        await session.scalar(select(col(Account.id)).where(col(Account.id) == subject_id).with_for_update(key_share=True))


async def lock_group(session: AsyncSession, group_id: UUID) -> None:
    """Serialises the version numbering of one group's `GroupChanged` (see `lock_subject`)."""
    await session.scalar(select(col(AccessGroup.id)).where(col(AccessGroup.id) == group_id).with_for_update(key_share=True))


@dataclass(frozen=True)
class Granter:
    """Who grants, and on what authority (for the history)."""

    granted_by: UUID | None
    source: str
    change_request_id: UUID | None = None
    authorisation_id: UUID | None = None


def _entry(person_id: UUID, kind: str, value: str, valid_from: date, valid_to: date | None, by: Granter) -> RightsEntry:
    return RightsEntry(
        person_id=person_id, kind=kind, value=value, valid_from=valid_from, valid_to=valid_to,
        granted_by=by.granted_by, source=by.source, change_request_id=by.change_request_id,
        authorisation_id=by.authorisation_id, created_at=clock.now(),
    )


def _end(right: HeldRight, ends_on: date, by: Granter, reason: str) -> RightsEnd:
    return RightsEnd(
        entry_id=right.entry.id, ends_on=ends_on, ended_by=by.granted_by,
        change_request_id=by.change_request_id, reason=reason, created_at=clock.now(),
    )


def desired_pairs(
    *, roles: Iterable[str] = (), unit_id: UUID | None = None, led_unit_ids: Iterable[UUID] = (),
    access_codes: Iterable[str] = (), group_ids: Iterable[UUID] = (),
) -> set[tuple[str, str]]:
    pairs = {(ROLE, r) for r in roles} | {(ACCESS_CODE, c) for c in access_codes}
    pairs |= {(LEADS_UNIT, str(u)) for u in led_unit_ids} | {(GROUP, str(g)) for g in group_ids}
    if unit_id is not None:
        pairs.add((UNIT, str(unit_id)))
    return pairs


async def replace_rights(
    session: AsyncSession, *, person_id: UUID, desired: set[tuple[str, str]], valid_from: date,
    valid_to: date | None, by: Granter,
) -> None:
    """From `valid_from`, the person holds exactly `desired` (through `valid_to`).

    Rights held before keep their history: a right that stays is left alone, one that goes
    is ended the day before, one planned for later that is not wanted never starts.
    """
    kept: set[tuple[str, str]] = set()
    for right in await held_rights(session, person_id=person_id):
        if right.valid_to is not None and right.valid_to < valid_from:
            continue  # over before the change; history
        pair = (right.kind, right.value)
        if pair in desired and right.valid_from <= valid_from and right.valid_to == valid_to and pair not in kept:
            kept.add(pair)
            continue
        session.add(_end(right, valid_from - timedelta(days=1), by, by.source))
    for kind, value in sorted(desired - kept):
        session.add(_entry(person_id, kind, value, valid_from, valid_to, by))
    await session.flush()


async def add_rights(
    session: AsyncSession, *, person_id: UUID, pairs: set[tuple[str, str]], valid_from: date,
    valid_to: date | None, by: Granter,
) -> list[RightsEntry]:
    """Adds rights on top of what the person holds (a direct authorisation)."""
    added = []
    for kind, value in sorted(pairs):
        entry = _entry(person_id, kind, value, valid_from, valid_to, by)
        session.add(entry)
        added.append(entry)
    await session.flush()
    return added


async def end_entries(
    session: AsyncSession, *, entries: Iterable[HeldRight], ends_on: date, by: Granter, reason: str
) -> None:
    for right in entries:
        if right.valid_to is None or right.valid_to > ends_on:
            session.add(_end(right, ends_on, by, reason))
    await session.flush()


async def stop_all(session: AsyncSession, *, person_id: UUID, last_day: date, by: Granter) -> None:
    await end_entries(
        session, entries=await held_rights(session, person_id=person_id), ends_on=last_day, by=by, reason=by.source
    )


# --- publishing ---------------------------------------------------------------------------


async def publish_rights(
    session: AsyncSession, outbox: Outbox, *, person_id: UUID, change_request_id: UUID | None = None
) -> list[RightsChanged]:
    """Publishes the person's whole timeline as snapshots with new, higher versions."""
    await lock_subject(session, person_id)  # normally held already; numbering needs it
    line = await timeline(session, person_id)
    last = await session.scalar(
        select(func.max(col(RightsSnapshot.version))).where(col(RightsSnapshot.person_id) == person_id)
    )
    published_starts = (await session.scalars(
        select(col(RightsSnapshot.valid_from)).where(col(RightsSnapshot.person_id) == person_id).distinct()
    )).all()
    version = last or 0
    events = []
    for start, end, rights in line.periods(keep=published_starts):
        version += 1
        event = RightsChanged(
            person_id=person_id,
            version=version,
            valid_from=start,
            valid_to=end,
            roles=sorted(rights.roles),
            unit_id=rights.unit_id,
            led_unit_ids=sorted(rights.led_unit_ids, key=str),
            access_codes=sorted(rights.access_codes),
            group_ids=sorted(rights.group_ids, key=str),
            change_request_id=change_request_id,
        )
        session.add(
            RightsSnapshot(
                person_id=person_id, version=version, valid_from=start, valid_to=end,
                payload=event.model_dump(mode="json"), created_at=clock.now(),
            )
        )
        events.append(event)
    # Sent newest period first: a consumer that has read only part of the snapshots still
    # finds the period of today (the latest start up to today), never an older one just cut
    # short ("rights ended") while the newer one is on its way.
    for event in reversed(events):
        await outbox.add(session, event)
    await session.flush()
    return events


async def publish_group(session: AsyncSession, outbox: Outbox, *, group: AccessGroup, day: date) -> GroupChanged:
    """A group's members: everyone whose membership holds on `day` or starts later."""
    await lock_group(session, group.id)
    members = sorted(
        {
            h.entry.person_id
            for h in await held_rights(session, kind=GROUP, value=str(group.id))
            if h.ever_held and (h.valid_to is None or h.valid_to >= day)
        },
        key=str,
    )
    last = await session.scalar(select(func.max(col(GroupSnapshot.version))).where(col(GroupSnapshot.group_id) == group.id))
    version = (last or 0) + 1
    session.add(GroupSnapshot(group_id=group.id, version=version, created_at=clock.now()))
    event = GroupChanged(
        group_id=group.id, version=version, is_ad_hoc=group.is_ad_hoc, saksmappe_id=group.saksmappe_id,
        journalpost_id=group.journalpost_id, member_person_ids=members, valid_from=group.valid_from,
        valid_to=group.valid_to,
    )
    await outbox.add(session, event)
    await session.flush()
    return event


async def disable_account(
    session: AsyncSession, outbox: Outbox, *, account: Account, disabled_from: date, by: UUID | None
) -> None:
    session.add(
        AccountStatus(account_id=account.id, is_disabled=True, effective_from=disabled_from, changed_by=by, created_at=clock.now())
    )
    await outbox.add(
        session,
        AccountDisabled(person_id=account.person_id or account.id, account_id=account.id, disabled_from=disabled_from),
    )
    await session.flush()
