"""The access API's request and response models."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any, Self
from uuid import UUID

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from arkiv5_contracts.policy import Action, Decision, Grant, Resource, Role
from arkiv5_kit.limits import Instant

_IN = ConfigDict(extra="forbid")
_OUT = ConfigDict(from_attributes=True)

# Dates far outside any archive's life are typing errors, and at the edges of Python's
# calendar (year 1, year 9999) the day-before/day-after arithmetic of the rights overflows.
MIN_DAY, MAX_DAY = date(1900, 1, 1), date(2999, 12, 31)


def _sane_day(value: date) -> date:
    if not MIN_DAY <= value <= MAX_DAY:
        raise ValueError(f"must be between {MIN_DAY.isoformat()} and {MAX_DAY.isoformat()}")
    return value


def _sane_moment(value: datetime) -> datetime:
    _sane_day(value.date())
    return value


_CONTROL = {chr(c) for c in (*range(0x00, 0x20), 0x7F)}
_LINE_BREAKS = {"\n", "\r", "\t"}


def _single_line(value: str) -> str:
    # PostgreSQL refuses NUL in text, and no name or code holds a control character.
    if any(c in _CONTROL for c in value):
        raise ValueError("must not contain control characters")
    return value


def _free_text(value: str) -> str:
    if any(c in _CONTROL and c not in _LINE_BREAKS for c in value):
        raise ValueError("must not contain control characters other than line breaks and tabs")
    return value


Day = Annotated[date, AfterValidator(_sane_day)]
Moment = Annotated[AwareDatetime, AfterValidator(_sane_moment)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(_single_line)]
Note = Annotated[str, StringConstraints(max_length=2000), AfterValidator(_free_text)]
CODE_PATTERN = r"^[A-Za-z0-9æøåÆØÅ._-]+$"
Code = Annotated[str, StringConstraints(min_length=1, max_length=20, pattern=CODE_PATTERN)]
Scope = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[a-z][a-z0-9._-]*$")]


class _Period(BaseModel):
    @model_validator(mode="after")
    def _period_is_not_reversed(self) -> Self:
        start = getattr(self, "valid_from", None) or getattr(self, "effective_date", None)
        end = getattr(self, "valid_to", None)
        if start is not None and end is not None and end < start:
            raise ValueError("valid_to is before the start date")
        return self


# --- directory -----------------------------------------------------------------------------


class UnitCreate(_Period):
    model_config = _IN
    code: Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=CODE_PATTERN)]
    name: Name
    parent_id: UUID | None = None
    valid_from: Day
    valid_to: Day | None = None


class UnitRead(BaseModel):
    model_config = _OUT
    id: UUID
    code: str
    name: str
    parent_id: UUID | None
    valid_from: date
    valid_to: date | None


class UnitRename(BaseModel):
    model_config = _IN
    name: Name


class UnitMove(BaseModel):
    model_config = _IN
    parent_id: UUID | None = Field(description="The new parent unit; null makes it a top unit")


class UnitEnd(BaseModel):
    model_config = _IN
    valid_to: Day = Field(description="The unit's last day")


class UnitChangeRead(BaseModel):
    """One change of a unit and the unit as it stood after it."""

    model_config = _OUT
    version: int
    change: str = Field(description="created | renamed | moved | ended")
    name: str
    parent_id: UUID | None
    valid_to: date | None
    changed_by: UUID | None
    created_at: Instant


class AccessCodeCreate(BaseModel):
    model_config = _IN
    code: Annotated[str, StringConstraints(min_length=1, max_length=10, pattern=CODE_PATTERN)] = Field(
        description="At most 10 characters: the journal keeps it on the skjerming of its records")
    name: Name


class AccessCodeRead(BaseModel):
    model_config = _OUT
    code: str
    name: str
    is_local: bool


class GroupCreate(_Period):
    model_config = _IN
    name: Name
    is_ad_hoc: bool = False
    saksmappe_id: UUID | None = None
    journalpost_id: UUID | None = None
    valid_from: Day
    valid_to: Day | None = None
    member_person_ids: list[UUID] = Field(default_factory=list, max_length=1000)

    @model_validator(mode="after")
    def _ad_hoc_names_one_record(self) -> Self:
        tied = [x for x in (self.saksmappe_id, self.journalpost_id) if x is not None]
        if self.is_ad_hoc and len(tied) != 1:
            raise ValueError("an ad hoc group is tied to exactly one saksmappe or journalpost")
        if not self.is_ad_hoc and tied:
            raise ValueError("a standing group is tied to no saksmappe or journalpost")
        return self


class GroupRead(BaseModel):
    model_config = _OUT
    id: UUID
    name: str
    is_ad_hoc: bool
    saksmappe_id: UUID | None
    journalpost_id: UUID | None
    valid_from: date
    valid_to: date | None


class GroupMemberAdd(BaseModel):
    model_config = _IN
    person_id: UUID
    valid_from: Day | None = Field(default=None, description="First day of membership; default today")


class GroupMemberEnd(BaseModel):
    model_config = _IN
    last_day: Day | None = Field(default=None, description="Last day of membership; default yesterday (stops today)")


class ClientCreate(BaseModel):
    model_config = _IN
    client_id: str = Field(min_length=3, max_length=100, pattern=r"^[a-z0-9][a-z0-9._-]+$")
    role: Role = Role.FAGSYSTEM
    allowed_scopes: list[Scope] = Field(default_factory=list, max_length=100)
    access_codes: list[Code] = Field(default_factory=list, max_length=100)
    valid_from: Day

    @model_validator(mode="after")
    def _system_role(self) -> Self:
        if self.role not in (Role.FAGSYSTEM, Role.INTERN_TJENESTE):
            raise ValueError("a client account has the role fagsystem or intern-tjeneste")
        return self


class ClientCreated(BaseModel):
    account_id: UUID
    client_id: str
    client_secret: str = Field(description="Shown once; only its hash is stored")


class OneTimePasswordCreate(BaseModel):
    model_config = _IN
    username: str | None = Field(
        default=None, min_length=3, max_length=100, pattern=r"^[a-z0-9][a-z0-9._-]+$",
        description="Creates the local account with this username if the person has none",
    )


class OneTimePasswordRead(BaseModel):
    account_id: UUID
    username: str
    one_time_password: str = Field(description="Shown once; the person must change it at first sign-in")
    must_change_password: bool = True


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)  # never echo a password
    username: Annotated[str, StringConstraints(min_length=1, max_length=100), AfterValidator(_single_line)]
    password: str = Field(min_length=1, max_length=256, description="The current (or one-time) password")
    new_password: str = Field(min_length=1, max_length=256)


class AccountState(BaseModel):
    account_id: UUID
    username: str | None
    must_change_password: bool
    failed_logins: int
    is_locked: bool


class ClientSecretCreated(BaseModel):
    account_id: UUID
    client_id: str
    client_secret: str = Field(description="Shown once; only its hash is stored")


class AccountDisable(BaseModel):
    model_config = _IN
    disabled_from: Day


class ExternalIdentityCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)  # the subject may be a fødselsnummer
    person_id: UUID
    issuer: Annotated[str, StringConstraints(min_length=1, max_length=500), AfterValidator(_single_line)]
    subject: Annotated[
        str, StringConstraints(min_length=1, max_length=255), AfterValidator(_single_line)
    ] = Field(description="The value of the issuer's identifier claim for this person (e.g. its sub, oid or email)")


class ExternalIdentityRead(BaseModel):
    id: UUID
    person_id: UUID
    account_id: UUID = Field(description="The federated account; disable it to stop this sign-in")
    issuer: str
    subject: str
    created_at: Instant


# --- rights --------------------------------------------------------------------------------


class RightsRead(BaseModel):
    """What a person holds on one date, and the period in which it holds unchanged."""

    person_id: UUID
    at: date
    valid_from: date
    valid_to: date | None
    roles: list[Role]
    unit_id: UUID | None
    led_unit_ids: list[UUID]
    access_codes: list[str]
    group_ids: list[UUID]
    is_disabled: bool


class PersonRead(BaseModel):
    model_config = _OUT
    id: UUID
    full_name: str
    job_title: str
    created_at: Instant


class HistoryEnd(BaseModel):
    ends_on: date
    ended_by: UUID | None
    change_request_id: UUID | None
    reason: str
    recorded_at: Instant


class HistoryEntry(BaseModel):
    """One right someone held (or was to hold): what, when, granted by whom on whose request."""

    entry_id: UUID
    person_id: UUID
    kind: str
    value: str
    valid_from: date
    valid_to: date | None = Field(description="The last day it holds, after any early end")
    was_ever_held: bool
    granted_by: UUID | None
    source: str
    change_request_id: UUID | None
    requested_by: UUID | None = Field(description="The leader whose written request it carries out")
    authorisation_id: UUID | None
    recorded_at: Instant
    ends: list[HistoryEnd]


# --- change requests, authorisations -------------------------------------------------------


class ChangeKind(str, Enum):
    NEW_USER = "new-user"
    CHANGE = "change"
    LEAVER = "leaver"


class ChangeRequestCreate(_Period):
    """Seed 004 §1: full name, job title, the exact date, roles, units, codes and groups.

    For a leaver, `effective_date` is the first day without rights.
    """

    model_config = _IN
    kind: ChangeKind
    person_id: UUID | None = Field(default=None, description="The person; not for a new user")
    full_name: Name
    job_title: Name
    effective_date: Day
    valid_to: Day | None = Field(default=None, description="Last day of the rights, if they are temporary")
    unit_id: UUID | None = None
    roles: list[Role] = Field(default_factory=list, max_length=10)
    led_unit_ids: list[UUID] = Field(default_factory=list, max_length=100)
    access_codes: list[Code] = Field(default_factory=list, max_length=100)
    group_ids: list[UUID] = Field(default_factory=list, max_length=500)
    username: str | None = Field(
        default=None, min_length=3, max_length=100, pattern=r"^[a-z0-9][a-z0-9._-]+$",
        description="New user: the local account's username (development; production federates)",
    )

    @model_validator(mode="after")
    def _fits_the_kind(self) -> Self:
        if self.kind is ChangeKind.NEW_USER:
            if self.person_id is not None:
                raise ValueError("a new user has no person_id yet")
        elif self.person_id is None:
            raise ValueError(f"a {self.kind.value} request names the person_id")
        if self.kind is not ChangeKind.LEAVER:
            if self.unit_id is None:
                raise ValueError("the request names the person's unit_id")
            if not self.roles:
                raise ValueError("the request names at least one role")
            if Role.FAGSYSTEM in self.roles or Role.INTERN_TJENESTE in self.roles:
                raise ValueError("system roles belong to client accounts, not persons")
        return self


class ChangeRequestDecide(BaseModel):
    model_config = _IN
    outcome: str = Field(pattern="^(approved|rejected)$")
    note: Note | None = None


class ChangeRequestRead(BaseModel):
    id: UUID
    kind: ChangeKind
    person_id: UUID | None
    full_name: str
    job_title: str
    effective_date: date
    valid_to: date | None
    unit_id: UUID | None
    roles: list[str]
    led_unit_ids: list[UUID]
    access_codes: list[str]
    group_ids: list[UUID]
    submitted_by: UUID
    submitted_at: datetime
    status: str = Field(description="submitted | approved | rejected")
    decided_by: UUID | None = None
    decided_at: datetime | None = None
    note: str | None = None


class AuthorisationCreate(_Period):
    """A direct grant to a case handler, within the granter's own codes and groups (§2)."""

    model_config = _IN
    roles: list[Role] = Field(default_factory=list, max_length=10)
    access_codes: list[Code] = Field(default_factory=list, max_length=100)
    group_ids: list[UUID] = Field(default_factory=list, max_length=500)
    valid_from: Day
    valid_to: Day | None = None

    @model_validator(mode="after")
    def _grants_something(self) -> Self:
        if not (self.roles or self.access_codes or self.group_ids):
            raise ValueError("an authorisation grants at least one role, access code or group")
        return self


class AuthorisationRead(BaseModel):
    id: UUID
    person_id: UUID
    granted_by: UUID
    roles: list[str]
    access_codes: list[str]
    group_ids: list[UUID]
    valid_from: date
    valid_to: date | None
    rule: str
    needs_review: bool
    created_at: Instant
    review_outcome: str | None = None
    reviewed_by: UUID | None = None
    reviewed_at: datetime | None = None


class ReviewCreate(BaseModel):
    model_config = _IN
    outcome: str = Field(pattern="^(accepted|revoked)$")
    note: Note | None = None


# --- decisions, audit ----------------------------------------------------------------------


class DecisionRequest(BaseModel):
    model_config = _IN
    person_id: UUID = Field(description="The person (or client account) asking")
    action: Action
    resource: Resource | None = None
    grant: Grant | None = None
    at: Day | None = Field(default=None, description="Date in Europe/Oslo; default today")

    @model_validator(mode="after")
    def _has_what_the_action_needs(self) -> Self:
        if self.action is Action.AUTHORISE and self.grant is None:
            raise ValueError("authorise needs the grant being given")
        if self.action is not Action.AUTHORISE and self.resource is None:
            raise ValueError(f"{self.action.value} needs the resource acted on")
        return self


class DecisionRead(Decision):
    at: date


class AuditCreate(BaseModel):
    model_config = _IN
    action: str = Field(min_length=1, max_length=60, pattern=r"^[a-z][a-z0-9.-]*$")
    outcome: str = Field(pattern="^(allowed|denied|failed)$")
    actor_id: UUID | None = None
    subject_id: UUID | None = None
    object_type: str | None = Field(default=None, pattern="^(saksmappe|journalpost|dokumentobjekt|person|group)$")
    object_id: UUID | None = None
    access_code: Code | None = None
    rule: Annotated[str, StringConstraints(max_length=100), AfterValidator(_single_line)] | None = None
    occurred_at: Moment | None = None
    correlation_id: UUID | None = None


class AuditRead(BaseModel):
    model_config = _OUT
    id: UUID
    occurred_at: Instant
    service: str
    action: str
    outcome: str
    actor_id: UUID | None
    subject_id: UUID | None
    object_type: str | None
    object_id: UUID | None
    access_code: str | None
    rule: str | None
    correlation_id: UUID | None
    details: dict[str, Any]


class SigningKeyRead(BaseModel):
    kid: str
    alg: str
    created_at: Instant
    activates_at: datetime
    is_encrypted: bool
    is_signing: bool
    is_published: bool


class SporingRead(BaseModel):
    """One read of screened content: who (person id, or the system's client id), when, which
    object, the access code, the rule that decided and the outcome (allowed: shown in full;
    denied: shown masked or refused)."""

    model_config = _OUT
    id: UUID
    occurred_at: Instant
    action: str
    outcome: str
    actor_id: UUID | None
    object_type: str | None
    object_id: UUID | None
    access_code: str | None
    rule: str | None
    details: dict[str, str]
    correlation_id: UUID | None


class SporingsloggPage(BaseModel):
    count: int = Field(description="Entries matching in all (the page holds at most $top of them)")
    results: list[SporingRead]
