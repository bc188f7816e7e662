"""The authorisation policy: who may do what to which saksmappe or journalpost (seed 004).

One pure function, :func:`decide`, answers every question of the kind "may this principal
do this action to this record on this date?" with a :class:`Decision`: allowed or not,
the id of the rule that decided, and an English reason fit for a problem+json ``detail``
(never personal data). The journal enforces it from its local read model of the access
service's events; the access service answers the same question for other systems through
its decision API. Both call this function, so there is one policy, tested once
(``tests/test_policy_matrix.py`` checks every role × action × situation of seed 004).

How a decision is made
----------------------
:data:`RULES` is an ordered list of named rules; the **first rule that applies decides**,
and when none applies the answer is ``default-deny``. The list has four parts:

1. **Guards** that hold whatever the roles: a disabled account, rights not yet in effect
   or already ended, an action that does not apply to the kind of record, authorising
   oneself, and writing to a closed saksmappe (after the one exception: the archive
   service corrects everything).
2. **Grants**, role by role. A rule of a role the principal does not hold never applies,
   so a principal with several roles has the union of their rights.
3. **Refusals**, role by role: reached only when no grant applied, they name *why* the
   principal's role is not enough (e.g. ``leader.authorise.code-not-held``).
4. ``default-deny``: no rule grants this action to any of the principal's roles.

Rules come from the Norwegian routine, seed 004 (Arkivplan § 3-3, "Interne ansvarsforhold
og rutiner"), §1–2 and §8; its words are quoted with each interpretation below.

Interpretations
---------------
Where the seed is precise the policy follows it to the letter; where it is silent, these
are the readings chosen (the ADR ``docs/adr/0005-authorisation-policy.md`` keeps the same
list):

* **Dates.** "Nøyaktig dato for endring av brukerrettigheter/ oppretting av ny bruker/
  stopp av brukerrettigheter" (§1): rights hold from ``valid_from`` through ``valid_to``
  inclusive (``valid_to`` is the last day, as in ``RightsChanged``); the day after, a
  leaver can do nothing, not even read. ``at`` is the date in Europe/Oslo. Group
  memberships on the principal are those valid on ``at`` (the read model's job).
* **Reading.** The seed grants no reading right explicitly. Every valid account with a
  role may read a record *as far as it is not screened* (``read``: the public-journal view
  with skjermet fields masked). Reading the screened content (``read-screened``) needs
  clearance for the record's tilgangsrestriksjon or membership; membership includes being
  the saksansvarlig or a saksbehandler, after "saksansvarlig, saksbehandler eller medlem av
  tilgangsgruppe på annen måte" (§2), which treats both as ways of being in the group.
  Clearance alone suffices: the seed ties clearance to no unit.
* **Leaders (leder).** "adgang til å opprette journalposter og dokumenter … registrering
  og retting … merknader … behandlingsplan for utvalgsbehandling" (§2), limited by "alle
  andre registreringsfunksjoner og skriverettigheter for tilgangsbegrensede saker som man
  ikke er medlem av, er begrenset til egen administrativ enhet eller enheter som er
  underlagt denne". So a leader writes (create journalpost, update, correct, add remark,
  register processing plan, close case) to unrestricted records anywhere, and to
  restricted ones where member or in the own unit tree (own unit, or a unit in
  ``led_unit_ids``, which already holds every unit below). The seed ties leaders' write
  rights to no clearance; reading screened content still needs it.
* **Approve (journalstatus G, godkjent av leder)** is a line-management act: only a
  leader, only in the own unit tree, restricted or not.
* **Send (ekspedere, journalstatus E)**: the journalpost's saksbehandler or its case's
  saksansvarlig (as a case handler's write right), or a leader in the unit tree.
* **Authorise.** "rett til å autorisere saksbehandlere i systemet m.h.t
  registreringsrettigheter, tilgangskoder og medlemskap i tilgangsgrupper", limited by
  "autorisasjonsretten for tilgangskoder gjelder bare de koder vedkommende selv er
  autorisert for" (§2). A leader authorises a person in the own unit tree ("leder
  ansvarliggjøres … for brukerrettighetene til sine underordnede", §1), only for access
  codes the leader holds; by the same reasoning only for groups the leader belongs to;
  and grants at most the roles saksbehandler and lesetilgang (registreringsrettigheter) —
  other role changes go through the written request to the arkivleder (§1). The
  arkivleder "har hovedansvaret for tildeling og ajourhold av brukerrettigheter" and may
  grant anything. The systemansvarlig (IT) grants only to carry out a change request the
  arkivleder approved: "Dersom IT-tjenesten skal gi eller endre tilgang, må dette skje i
  samråd med arkivleder" (§1). Nobody authorises themselves.
* **Case handlers (saksbehandler).** Create journalposts in unrestricted cases anywhere;
  in restricted ones only "hvor vedkommende er saksansvarlig, saksbehandler eller medlem
  av tilgangsgruppe". All other writes (update, correct, add remark, register processing
  plan, close case, send) only "hvor vedkommende er saksansvarlig, eller journalposter med
  tilhørende dokumenter hvor vedkommende er saksbehandler"; being saksansvarlig for a case
  covers its journalposts; group membership is not enough. Ad hoc access groups only "som
  knyttes til saker hvor vedkommende er saksansvarlig, eller journalposter hvor vedkommende
  er saksbehandler" — literally: on a saksmappe as its saksansvarlig, on a journalpost as
  its saksbehandler. "Brukere av systemet kan rette opplysninger der de selv er
  saksansvarlige" (§8.2) agrees.
* **The archive service (arkivleder, arkivtjeneste).** "Arkivtjenesten kan rette feil i
  alle saker" (§8.2): correct everything, closed cases included, whatever the code or unit.
  It registers incoming post (§3, §5: create journalpost, update, add remark), distributes
  ("fordeler arkivtjenesten direkte til saksbehandler", §8.1; leaders and case handlers ask
  it to re-distribute, so nobody else distributes) and closes cases (it quality-checks "ved
  avslutning av saker", §8.3; saksstatus A). It does not approve or send. Reading screened
  content needs clearance like everyone else; the access service clears the archive staff
  for the codes their work needs.
* **Read-only (lesetilgang)** never writes. **Systemansvarlig** administers users; it gets
  no case content beyond what its codes give to reading.
* **System clients** (``fagsystem``, and our own services as ``intern-tjeneste``) act with
  the scopes their token gives (checked before the policy) and, in the policy, write
  (create journalpost, update, add remark, register processing plan, send, close case) to
  unrestricted records and to records whose code they are cleared for. They do not
  correct, approve, distribute, authorise or create ad hoc groups: those are acts of a
  person named by the seed.
* **Closed saksmappe** (saksstatus A avsluttet or U utgår; for a journalpost, its
  saksmappe): readable, but only the archive service's corrections change it. Status
  transitions themselves (which journalstatus may follow which) are the journal's state
  machine, not the policy.
* **Unknown roles** grant nothing: a role code this version does not know is dropped when
  a principal is built from a ``RightsChanged`` event (a newer access service can only make
  an older journal deny more), and an account with no known role may do nothing at all.

Speed
-----
The models are frozen pydantic models (validated once, when built from the read model);
``decide`` only reads their attributes, evaluates a precomputed rule plan for the
(action, roles) pair and returns a precomputed :class:`Decision`, allocating nothing.
``bench/bench_policy.py`` measures it against the 50 µs p99 target.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from .codelists import Journalstatus, Saksstatus

if TYPE_CHECKING:
    from .events.access import RightsChanged

__all__ = [
    "DEFAULT_DENY",
    "LEADER_GRANTABLE_ROLES",
    "RULES",
    "Action",
    "Decision",
    "Grant",
    "Principal",
    "Resource",
    "ResourceKind",
    "Role",
    "Rule",
    "decide",
]


class Role(str, Enum):
    """The roles of seed 004, as the access service publishes them in ``RightsChanged.roles``."""

    ARKIVLEDER = "arkivleder"
    ARKIVTJENESTE = "arkivtjeneste"
    LEDER = "leder"
    SAKSBEHANDLER = "saksbehandler"
    SYSTEMANSVARLIG = "systemansvarlig"
    LESETILGANG = "lesetilgang"
    FAGSYSTEM = "fagsystem"
    """Another municipal system acting through the API with a client-credentials token."""
    INTERN_TJENESTE = "intern-tjeneste"
    """One of Arkiv5's own services (conversion, svarut-gateway) acting on its own behalf."""


class Action(str, Enum):
    """What a principal wants to do; every value is a question ``decide`` answers."""

    READ = "read"
    """Read a record as far as it is not screened (skjermet fields masked)."""
    READ_SCREENED = "read-screened"
    """Read a record's screened content: masked metadata and screened documents."""
    CREATE_JOURNALPOST = "create-journalpost"
    """Create a journalpost (with its documents) in the saksmappe."""
    UPDATE = "update"
    """Register in the record: edit metadata, add documents, sign off (avskrive)."""
    CORRECT = "correct"
    """Correct registered journal or archive data (retting, seed 004 §8.2)."""
    ADD_REMARK = "add-remark"
    """Register a merknad."""
    REGISTER_PROCESSING_PLAN = "register-processing-plan"
    """Register a behandlingsplan for utvalgsbehandling of the saksmappe."""
    CREATE_AD_HOC_GROUP = "create-ad-hoc-group"
    """Create an ad hoc access group tied to the saksmappe or journalpost."""
    AUTHORISE = "authorise"
    """Grant a person registration rights, access codes or group membership (a :class:`Grant`)."""
    APPROVE = "approve"
    """Approve the journalpost (journalstatus G, godkjent av leder)."""
    SEND = "send"
    """Send (ekspedere) the journalpost (journalstatus E)."""
    DISTRIBUTE = "distribute"
    """Distribute (fordele) the record to a saksbehandler or saksansvarlig."""
    CLOSE_CASE = "close-case"
    """Close the saksmappe (saksstatus S or A)."""


class ResourceKind(str, Enum):
    SAKSMAPPE = "saksmappe"
    JOURNALPOST = "journalpost"


_FROZEN = ConfigDict(frozen=True, extra="forbid")

# Saksstatus values after which a saksmappe takes no more registrations.
_CLOSED_SAKSSTATUS = frozenset({Saksstatus.A, Saksstatus.U})


class Principal(BaseModel):
    """Who asks: a person's (or a system client's) rights for one validity period.

    Built by the journal from its read model of ``RightsChanged`` (see :meth:`from_rights`)
    and by the access service from its own tables.
    """

    model_config = _FROZEN

    person_id: UUID
    """The person, or for a system client the id of its client account."""
    roles: frozenset[Role] = frozenset()
    unit_id: UUID | None = None
    """The person's own administrative unit (administrativ enhet)."""
    led_unit_ids: frozenset[UUID] = frozenset()
    """Every unit the person leads, already expanded with all units below them."""
    access_codes: frozenset[str] = frozenset()
    """Cleared tilgangsrestriksjon codes (the standard's and the archive's own)."""
    group_ids: frozenset[UUID] = frozenset()
    """Access groups the person is a member of on the date asked about."""
    valid_from: date
    valid_to: date | None = None
    """The last day the rights hold; None = open-ended."""
    is_disabled: bool = False

    @model_validator(mode="after")
    def _period_is_not_reversed(self) -> Self:
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        return self

    @classmethod
    def from_rights(cls, rights: RightsChanged, *, is_disabled: bool = False) -> Principal:
        """The principal for one ``RightsChanged`` snapshot.

        Role codes this version does not know are dropped: an unknown role grants nothing.
        """
        known = {role.value for role in Role}
        return cls(
            person_id=rights.person_id,
            roles=frozenset(Role(code) for code in rights.roles if code in known),
            unit_id=rights.unit_id,
            led_unit_ids=frozenset(rights.led_unit_ids),
            access_codes=frozenset(rights.access_codes),
            group_ids=frozenset(rights.group_ids),
            valid_from=rights.valid_from,
            valid_to=rights.valid_to,
            is_disabled=is_disabled,
        )


class Resource(BaseModel):
    """What is asked about: a saksmappe or a journalpost, with what the policy needs of it."""

    model_config = _FROZEN

    kind: ResourceKind
    id: UUID
    unit_id: UUID
    """The record's administrative unit (administrativ enhet)."""
    saksansvarlig_id: UUID | None = None
    """The saksmappe's saksansvarlig; for a journalpost, that of its saksmappe."""
    saksbehandler_id: UUID | None = None
    """Journalpost only: its saksbehandler."""
    journalpost_saksbehandler_ids: frozenset[UUID] = frozenset()
    """Saksmappe only: the saksbehandler of each of its journalposts. Seed 004 §2 lets them
    create journalposts in a restricted saksmappe and read its screened content."""
    access_code: str | None = None
    """The tilgangsrestriksjon code of the record's skjerming; None = unrestricted."""
    group_ids: frozenset[UUID] = frozenset()
    """Access groups that open the record: its own and, for a journalpost, its saksmappe's."""
    saksstatus: Saksstatus | None = None
    journalstatus: Journalstatus | None = None
    is_closed: bool = False
    """The saksmappe (for a journalpost: its saksmappe) is closed, saksstatus A or U."""

    @field_validator("access_code", mode="before")
    @classmethod
    def _blank_code_is_unrestricted(cls, value: object) -> object:
        # Read models and forms often hold "" for "no skjerming"; it must not read as a code.
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @model_validator(mode="after")
    def _fields_fit_the_kind(self) -> Self:
        if self.kind is ResourceKind.SAKSMAPPE:
            if self.saksbehandler_id is not None or self.journalstatus is not None:
                raise ValueError("a saksmappe has no saksbehandler_id or journalstatus")
            if self.saksstatus in _CLOSED_SAKSSTATUS and not self.is_closed:
                raise ValueError(f"a saksmappe with saksstatus {self.saksstatus} is closed")
        elif self.journalpost_saksbehandler_ids or self.saksstatus is not None:
            raise ValueError("a journalpost has no journalpost_saksbehandler_ids or saksstatus")
        return self


class Grant(BaseModel):
    """What an ``authorise`` action gives a person (the rights added or changed)."""

    model_config = _FROZEN

    person_id: UUID
    """The person being authorised."""
    unit_id: UUID
    """That person's administrative unit."""
    roles: frozenset[Role] = frozenset()
    access_codes: frozenset[str] = frozenset()
    group_ids: frozenset[UUID] = frozenset()
    change_request_id: UUID | None = None
    """The written change request, approved by the arkivleder, that this grant carries out."""


class Decision(BaseModel):
    """The answer: allowed or not, the rule that decided and why (no personal data)."""

    model_config = _FROZEN

    allowed: bool
    rule: str
    """A stable rule id, e.g. ``leader.write.own-unit-tree``."""
    reason: str
    """English, for a problem+json ``detail`` or an audit line."""


# Every predicate takes (principal, action, resource, grant, at). The rule plan guarantees the
# action and one of the rule's roles; decide() guarantees a resource for a record action and
# a grant for authorise, so each predicate annotates only what it can actually receive.
Predicate = Callable[..., bool]


@dataclass(frozen=True, slots=True)
class Rule:
    """One named rule: when it applies to a principal holding one of ``roles``, it decides."""

    id: str
    allowed: bool
    actions: frozenset[Action]
    roles: frozenset[Role] | None
    """The roles the rule speaks for; None = every principal, whatever its roles."""
    applies: Predicate
    reason: str
    source: str
    """Where it comes from: the seed 004 paragraph, or "interpretation"."""
    decision: Decision = field(init=False)

    def __post_init__(self) -> None:
        decision = Decision(allowed=self.allowed, rule=self.id, reason=self.reason)
        object.__setattr__(self, "decision", decision)


# --- action and role sets ---------------------------------------------------------------

_ALL_ACTIONS = frozenset(Action)
_READS = frozenset({Action.READ, Action.READ_SCREENED})
_RECORD_WRITES = _ALL_ACTIONS - _READS - {Action.AUTHORISE}
_ALL_ROLES = frozenset(Role)
_ARCHIVE = frozenset({Role.ARKIVLEDER, Role.ARKIVTJENESTE})
_SYSTEMS = frozenset({Role.FAGSYSTEM, Role.INTERN_TJENESTE})
_LEADER = frozenset({Role.LEDER})
_HANDLER = frozenset({Role.SAKSBEHANDLER})

_KINDS_OF = {action: frozenset(ResourceKind) for action in _ALL_ACTIONS - {Action.AUTHORISE}}
_KINDS_OF.update(
    {
        Action.CREATE_JOURNALPOST: frozenset({ResourceKind.SAKSMAPPE}),
        Action.REGISTER_PROCESSING_PLAN: frozenset({ResourceKind.SAKSMAPPE}),
        Action.CLOSE_CASE: frozenset({ResourceKind.SAKSMAPPE}),
        Action.APPROVE: frozenset({ResourceKind.JOURNALPOST}),
        Action.SEND: frozenset({ResourceKind.JOURNALPOST}),
    }
)

_ARCHIVE_REGISTERS = frozenset({Action.CREATE_JOURNALPOST, Action.UPDATE, Action.ADD_REMARK})
_LEADER_WRITES = frozenset(
    {
        Action.CREATE_JOURNALPOST,
        Action.UPDATE,
        Action.CORRECT,
        Action.ADD_REMARK,
        Action.REGISTER_PROCESSING_PLAN,
        Action.CLOSE_CASE,
    }
)
# Seed 004 §2's "alle andre registreringsfunksjoner og skriverettigheter" of a case handler.
_HANDLER_WRITES = frozenset(
    {
        Action.UPDATE,
        Action.CORRECT,
        Action.ADD_REMARK,
        Action.REGISTER_PROCESSING_PLAN,
        Action.CLOSE_CASE,
        Action.SEND,
    }
)
_SYSTEM_WRITES = frozenset(
    {
        Action.CREATE_JOURNALPOST,
        Action.UPDATE,
        Action.ADD_REMARK,
        Action.REGISTER_PROCESSING_PLAN,
        Action.SEND,
        Action.CLOSE_CASE,
    }
)
LEADER_GRANTABLE_ROLES = frozenset({Role.SAKSBEHANDLER, Role.LESETILGANG})
"""The registration rights (roles) a leader may give directly; others need the arkivleder."""


# --- predicates (signature: see Predicate) ------------------------------------------------


def _always(p: Principal, a: Action, r: Resource | None, g: Grant | None, at: date) -> bool:
    return True


def _disabled(p: Principal, a: Action, r: Resource | None, g: Grant | None, at: date) -> bool:
    return p.is_disabled


def _not_yet_valid(p: Principal, a: Action, r: Resource | None, g: Grant | None, at: date) -> bool:
    return at < p.valid_from


def _ended(p: Principal, a: Action, r: Resource | None, g: Grant | None, at: date) -> bool:
    return p.valid_to is not None and at > p.valid_to


def _wrong_kind(p: Principal, a: Action, r: Resource, g: Grant | None, at: date) -> bool:
    return r.kind not in _KINDS_OF[a]


def _self_grant(p: Principal, a: Action, r: Resource | None, g: Grant, at: date) -> bool:
    return g.person_id == p.person_id


def _closed(p: Principal, a: Action, r: Resource, g: Grant | None, at: date) -> bool:
    return r.is_closed


def _unrestricted(p: Principal, a: Action, r: Resource, g: Grant | None, at: date) -> bool:
    return r.access_code is None


def _cleared(p: Principal, a: Action, r: Resource, g: Grant | None, at: date) -> bool:
    return r.access_code in p.access_codes


def _not_cleared(p: Principal, a: Action, r: Resource, g: Grant | None, at: date) -> bool:
    return r.access_code is not None and r.access_code not in p.access_codes


def _in_group(p: Principal, r: Resource) -> bool:
    return not p.group_ids.isdisjoint(r.group_ids)


def _is_saksansvarlig(p: Principal, r: Resource) -> bool:
    return r.saksansvarlig_id == p.person_id


def _handles_journalpost(p: Principal, r: Resource) -> bool:
    return r.saksbehandler_id == p.person_id


def _is_member(p: Principal, r: Resource) -> bool:
    # "saksansvarlig, saksbehandler eller medlem av tilgangsgruppe på annen måte" (§2).
    return (
        _in_group(p, r)
        or _is_saksansvarlig(p, r)
        or _handles_journalpost(p, r)
        or p.person_id in r.journalpost_saksbehandler_ids
    )


def _member(p: Principal, a: Action, r: Resource, g: Grant | None, at: date) -> bool:
    return _is_member(p, r)


def _in_unit_tree(p: Principal, unit_id: UUID) -> bool:
    return unit_id == p.unit_id or unit_id in p.led_unit_ids


def _record_in_unit_tree(p: Principal, a: Action, r: Resource, g: Grant | None, at: date) -> bool:
    return _in_unit_tree(p, r.unit_id)


def _restricted_outside_unit_tree_not_member(
    p: Principal, a: Action, r: Resource, g: Grant | None, at: date
) -> bool:
    return r.access_code is not None and not _in_unit_tree(p, r.unit_id) and not _is_member(p, r)


def _record_outside_unit_tree(
    p: Principal, a: Action, r: Resource, g: Grant | None, at: date
) -> bool:
    return not _in_unit_tree(p, r.unit_id)


def _restricted_not_member(p: Principal, a: Action, r: Resource, g: Grant | None, at: date) -> bool:
    return r.access_code is not None and not _is_member(p, r)


def _saksansvarlig(p: Principal, a: Action, r: Resource, g: Grant | None, at: date) -> bool:
    return _is_saksansvarlig(p, r)


def _saksbehandler(p: Principal, a: Action, r: Resource, g: Grant | None, at: date) -> bool:
    return _handles_journalpost(p, r)


def _saksansvarlig_of_saksmappe(
    p: Principal, a: Action, r: Resource, g: Grant | None, at: date
) -> bool:
    return r.kind is ResourceKind.SAKSMAPPE and _is_saksansvarlig(p, r)


def _saksbehandler_of_journalpost(
    p: Principal, a: Action, r: Resource, g: Grant | None, at: date
) -> bool:
    return r.kind is ResourceKind.JOURNALPOST and _handles_journalpost(p, r)


def _leader_may_grant(p: Principal, a: Action, r: Resource | None, g: Grant, at: date) -> bool:
    return (
        _in_unit_tree(p, g.unit_id)
        and g.access_codes <= p.access_codes
        and g.group_ids <= p.group_ids
        and g.roles <= LEADER_GRANTABLE_ROLES
    )


def _grantee_not_subordinate(
    p: Principal, a: Action, r: Resource | None, g: Grant, at: date
) -> bool:
    return not _in_unit_tree(p, g.unit_id)


def _code_not_held(p: Principal, a: Action, r: Resource | None, g: Grant, at: date) -> bool:
    return not g.access_codes <= p.access_codes


def _group_not_held(p: Principal, a: Action, r: Resource | None, g: Grant, at: date) -> bool:
    return not g.group_ids <= p.group_ids


def _role_beyond_leader(p: Principal, a: Action, r: Resource | None, g: Grant, at: date) -> bool:
    return not g.roles <= LEADER_GRANTABLE_ROLES


def _approved_request(p: Principal, a: Action, r: Resource | None, g: Grant, at: date) -> bool:
    return g.change_request_id is not None


# --- the rules, in order ------------------------------------------------------------------


def _rule(
    rule_id: str,
    allowed: bool,
    actions: frozenset[Action] | Action,
    roles: frozenset[Role] | None,
    applies: Predicate,
    reason: str,
    source: str,
) -> Rule:
    if isinstance(actions, Action):
        actions = frozenset({actions})
    return Rule(rule_id, allowed, actions, roles, applies, reason, source)


_ALLOW, _DENY = True, False

# One rule per entry, aligned by hand: it reads better than the formatter's layout.
# fmt: off
RULES: tuple[Rule, ...] = (
    # 1. Guards, whatever the roles.
    _rule("account.disabled", _DENY, _ALL_ACTIONS, None, _disabled,
          "The account is disabled.", "§1"),
    _rule("validity.not-yet-valid", _DENY, _ALL_ACTIONS, None, _not_yet_valid,
          "The rights are not yet in effect on this date.", "§1"),
    _rule("validity.ended", _DENY, _ALL_ACTIONS, None, _ended,
          "The rights ended before this date.", "§1"),
    _rule("action.not-applicable-to-kind", _DENY, _ALL_ACTIONS - {Action.AUTHORISE}, None,
          _wrong_kind, "The action does not apply to this kind of record.", "interpretation"),
    _rule("authorise.self", _DENY, Action.AUTHORISE, None, _self_grant,
          "Nobody may authorise themselves.", "§1"),
    _rule("archive.correct.all", _ALLOW, Action.CORRECT, _ARCHIVE, _always,
          "The archive service may correct errors in every case.", "§8.2"),
    _rule("saksmappe.closed", _DENY, _RECORD_WRITES, None, _closed,
          "The saksmappe is closed; only the archive service may correct it.", "interpretation"),
    # 2. Grants.
    _rule("read.unscreened", _ALLOW, Action.READ, _ALL_ROLES, _always,
          "Every valid account may read a record as far as it is not screened.",
          "interpretation"),
    _rule("read-screened.unrestricted", _ALLOW, Action.READ_SCREENED, _ALL_ROLES, _unrestricted,
          "The record has no access restriction.", "interpretation"),
    _rule("read-screened.cleared", _ALLOW, Action.READ_SCREENED, _ALL_ROLES, _cleared,
          "Cleared for the record's access code.", "§1"),
    _rule("read-screened.member", _ALLOW, Action.READ_SCREENED, _ALL_ROLES, _member,
          "Member of the record's access group, or its saksansvarlig or saksbehandler.", "§2"),
    _rule("archive.register.all", _ALLOW, _ARCHIVE_REGISTERS, _ARCHIVE, _always,
          "The archive service registers in every case.", "§3, §5, §6"),
    _rule("archive.close-case.all", _ALLOW, Action.CLOSE_CASE, _ARCHIVE, _always,
          "The archive service closes cases.", "§8.3"),
    _rule("archive.distribute.all", _ALLOW, Action.DISTRIBUTE, _ARCHIVE, _always,
          "The archive service distributes documents to case handlers.", "§8.1"),
    _rule("arkivleder.authorise.all", _ALLOW, Action.AUTHORISE, frozenset({Role.ARKIVLEDER}),
          _always, "The archive leader grants and maintains user rights.", "§1"),
    _rule("leader.write.unrestricted", _ALLOW, _LEADER_WRITES, _LEADER, _unrestricted,
          "Leaders may register in records without access restriction.", "§2"),
    _rule("leader.write.member", _ALLOW, _LEADER_WRITES, _LEADER, _member,
          "Leaders may register in restricted records they are a member of.", "§2"),
    _rule("leader.write.own-unit-tree", _ALLOW, _LEADER_WRITES, _LEADER, _record_in_unit_tree,
          "Leaders may register in restricted records of their own unit and the units below it.",
          "§2"),
    _rule("leader.approve.own-unit-tree", _ALLOW, Action.APPROVE, _LEADER, _record_in_unit_tree,
          "Leaders approve journalposts of their own unit and the units below it.",
          "interpretation"),
    _rule("leader.send.own-unit-tree", _ALLOW, Action.SEND, _LEADER, _record_in_unit_tree,
          "Leaders may send journalposts of their own unit and the units below it.",
          "interpretation"),
    _rule("leader.authorise.own-codes", _ALLOW, Action.AUTHORISE, _LEADER, _leader_may_grant,
          "Leaders authorise their subordinates within the access codes and groups they hold.",
          "§1, §2"),
    _rule("saksbehandler.create-journalpost.unrestricted", _ALLOW, Action.CREATE_JOURNALPOST,
          _HANDLER, _unrestricted,
          "Case handlers may create journalposts in cases without access restriction.", "§2"),
    _rule("saksbehandler.create-journalpost.member", _ALLOW, Action.CREATE_JOURNALPOST, _HANDLER,
          _member,
          "Case handlers may create journalposts in restricted cases where they are "
          "saksansvarlig, saksbehandler or group member.", "§2"),
    _rule("saksbehandler.write.saksansvarlig", _ALLOW, _HANDLER_WRITES, _HANDLER, _saksansvarlig,
          "Case handlers write where they are saksansvarlig.", "§2, §8.2"),
    _rule("saksbehandler.write.saksbehandler", _ALLOW, _HANDLER_WRITES, _HANDLER, _saksbehandler,
          "Case handlers write to journalposts they are saksbehandler for.", "§2"),
    _rule("saksbehandler.ad-hoc-group.saksansvarlig", _ALLOW, Action.CREATE_AD_HOC_GROUP,
          _HANDLER, _saksansvarlig_of_saksmappe,
          "Case handlers create ad hoc access groups on cases they are saksansvarlig for.", "§2"),
    _rule("saksbehandler.ad-hoc-group.saksbehandler", _ALLOW, Action.CREATE_AD_HOC_GROUP,
          _HANDLER, _saksbehandler_of_journalpost,
          "Case handlers create ad hoc access groups on journalposts they are saksbehandler for.",
          "§2"),
    _rule("systemansvarlig.authorise.approved-request", _ALLOW, Action.AUTHORISE,
          frozenset({Role.SYSTEMANSVARLIG}), _approved_request,
          "IT carries out a change request approved by the archive leader.", "§1"),
    _rule("system.write.unrestricted", _ALLOW, _SYSTEM_WRITES, _SYSTEMS, _unrestricted,
          "System clients write to records without access restriction.", "interpretation"),
    _rule("system.write.cleared", _ALLOW, _SYSTEM_WRITES, _SYSTEMS, _cleared,
          "System clients write to records whose access code they are cleared for.",
          "interpretation"),
    # 3. Refusals: no grant applied; say why the principal's role is not enough.
    _rule("read-screened.not-cleared", _DENY, Action.READ_SCREENED, _ALL_ROLES, _not_cleared,
          "Reading screened content needs clearance for the record's access code or "
          "membership of its access group.", "§2"),
    _rule("leader.write.restricted-outside-unit-tree", _DENY, _LEADER_WRITES, _LEADER,
          _restricted_outside_unit_tree_not_member,
          "Outside groups they belong to, leaders write to restricted records only in their "
          "own unit and the units below it.", "§2"),
    _rule("leader.approve.outside-unit-tree", _DENY, Action.APPROVE, _LEADER,
          _record_outside_unit_tree,
          "Leaders approve only journalposts of their own unit and the units below it.",
          "interpretation"),
    _rule("leader.send.outside-unit-tree", _DENY, Action.SEND, _LEADER, _record_outside_unit_tree,
          "Leaders send only journalposts of their own unit and the units below it.",
          "interpretation"),
    _rule("leader.authorise.not-subordinate", _DENY, Action.AUTHORISE, _LEADER,
          _grantee_not_subordinate,
          "Leaders authorise only persons in their own unit and the units below it.", "§1"),
    _rule("leader.authorise.code-not-held", _DENY, Action.AUTHORISE, _LEADER, _code_not_held,
          "Leaders may grant only access codes they hold themselves.", "§2"),
    _rule("leader.authorise.group-not-held", _DENY, Action.AUTHORISE, _LEADER, _group_not_held,
          "Leaders may grant membership only of access groups they belong to themselves.",
          "interpretation"),
    _rule("leader.authorise.role-needs-request", _DENY, Action.AUTHORISE, _LEADER,
          _role_beyond_leader,
          "This role change needs a written request approved by the archive leader.", "§1"),
    _rule("saksbehandler.create-journalpost.restricted-not-member", _DENY,
          Action.CREATE_JOURNALPOST, _HANDLER, _restricted_not_member,
          "In restricted cases, case handlers create journalposts only where they are "
          "saksansvarlig, saksbehandler or group member.", "§2"),
    _rule("saksbehandler.write.not-responsible", _DENY, _HANDLER_WRITES, _HANDLER, _always,
          "Case handlers write only where they are saksansvarlig for the case or saksbehandler "
          "for the journalpost.", "§2, §8.2"),
    _rule("saksbehandler.ad-hoc-group.not-own", _DENY, Action.CREATE_AD_HOC_GROUP, _HANDLER,
          _always,
          "Case handlers create ad hoc access groups only on cases they are saksansvarlig for "
          "or journalposts they are saksbehandler for.", "§2"),
    _rule("systemansvarlig.authorise.needs-approved-request", _DENY, Action.AUTHORISE,
          frozenset({Role.SYSTEMANSVARLIG}), _always,
          "IT grants or changes access only in agreement with the archive leader.", "§1"),
    _rule("system.write.not-cleared", _DENY, _SYSTEM_WRITES, _SYSTEMS, _not_cleared,
          "System clients write to restricted records only when cleared for their access code.",
          "interpretation"),
    _rule("lesetilgang.read-only", _DENY, _ALL_ACTIONS - _READS, frozenset({Role.LESETILGANG}),
          _always, "Read-only accounts never write.", "interpretation"),
    _rule("approve.leader-only", _DENY, Action.APPROVE, _ALL_ROLES, _always,
          "Only leaders approve journalposts.", "interpretation"),
    _rule("distribute.archive-service-only", _DENY, Action.DISTRIBUTE, _ALL_ROLES, _always,
          "The archive service distributes; others ask it to change the distribution.", "§8.1"),
)
# fmt: on

DEFAULT_DENY = Decision(
    allowed=False,
    rule="default-deny",
    reason="No rule grants this action to the principal's roles.",
)

# The rules that can apply for one (action, roles) pair, in order. At most
# len(Action) × 2**len(Role) entries, built on first use; a racing rebuild is harmless.
_plans: dict[tuple[Action, frozenset[Role]], tuple[Rule, ...]] = {}


def _plan(action: Action, roles: frozenset[Role]) -> tuple[Rule, ...]:
    key = (action, roles)
    plan = _plans.get(key)
    if plan is None:
        plan = tuple(
            rule
            for rule in RULES
            if action in rule.actions and (rule.roles is None or not rule.roles.isdisjoint(roles))
        )
        _plans[key] = plan
    return plan


def decide(
    principal: Principal,
    action: Action,
    resource: Resource | None,
    at: date,
    grant: Grant | None = None,
) -> Decision:
    """May ``principal`` do ``action`` to ``resource`` on the date ``at`` (Europe/Oslo)?

    ``resource`` is the saksmappe or journalpost acted on (for ``create-journalpost`` the
    saksmappe it goes into) and is ignored for ``authorise``, which needs ``grant`` instead.
    Raises ``ValueError`` when the one it needs is missing or the action is unknown, and
    ``TypeError`` for a datetime (a UTC instant would give the wrong Norwegian day).
    """
    if type(action) is not Action:
        action = Action(action)
    if isinstance(at, datetime):
        raise TypeError("at must be a date in Europe/Oslo, not a datetime")
    if action is Action.AUTHORISE:
        if grant is None:
            raise ValueError("authorise needs the grant being given")
    elif resource is None:
        raise ValueError(f"{action.value} needs the saksmappe or journalpost acted on")
    for rule in _plan(action, principal.roles):
        if rule.applies(principal, action, resource, grant, at):
            return rule.decision
    return DEFAULT_DENY
