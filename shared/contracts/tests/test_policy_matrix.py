"""The authorisation matrix of seed 004: every role × action × situation, allow or deny and why.

The expected answer of each cell comes from an oracle written here from the routine's text
(seed 004 §1–2 and §8) over the *labels* of a situation ("own unit", "saksansvarlig",
"day after the end date" …) — not from the policy's predicates. `decide` must give the
same allow/deny and the same deciding rule in every cell.

Two matrices:

* records: role × action × kind × unit × restricted × clearance × relation × day × closed;
* authorise: role × the grantee's unit × code held × group held × role granted ×
  approved change request × self or other × day.

Each is one test per (role, action) looping over its situations and reporting every cell
that disagrees, so a failure names the cells rather than stopping at the first.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from functools import cache
from uuid import UUID, uuid5

import pytest

from arkiv5_contracts.codelists import Journalstatus, Saksstatus
from arkiv5_contracts.policy import (
    Action,
    Grant,
    Principal,
    Resource,
    ResourceKind,
    Role,
    decide,
)

# --- the municipality the matrix plays in --------------------------------------------------


def _id(name: str) -> UUID:
    return uuid5(UUID(int=0), name)


ME = _id("person: the principal")
COLLEAGUE = _id("person: a colleague")
OWN_UNIT = _id("unit: own")
SUBORDINATE_UNIT = _id("unit: below own")
OTHER_UNIT = _id("unit: elsewhere")
MY_GROUP = _id("group: the principal's")
OTHER_GROUP = _id("group: someone else's")
RECORD = _id("record")

UNITS = {"own": OWN_UNIT, "subordinate": SUBORDINATE_UNIT, "other": OTHER_UNIT}

CODE = "P"  # Personalsaker: the code on a restricted record
OTHER_CODE = "KL"  # held by a principal not cleared for CODE

VALID_FROM = date(2026, 3, 2)
VALID_TO = date(2026, 6, 30)
DAYS = {
    "day-before-start": date(2026, 3, 1),
    "first-day": VALID_FROM,
    "last-day": VALID_TO,
    "day-after-end": date(2026, 7, 1),
}

RELATIONS = ("saksansvarlig", "saksbehandler", "group-member", "none")


def principal(role: Role, *, cleared: bool, in_group: bool) -> Principal:
    return Principal(
        person_id=ME,
        roles=frozenset({role}),
        unit_id=OWN_UNIT,
        # Only a leader leads: own unit and the one below it (already expanded).
        led_unit_ids=frozenset({OWN_UNIT, SUBORDINATE_UNIT}) if role is Role.LEDER else frozenset(),
        access_codes=frozenset({CODE if cleared else OTHER_CODE}),
        group_ids=frozenset({MY_GROUP if in_group else OTHER_GROUP}),
        valid_from=VALID_FROM,
        valid_to=VALID_TO,
    )


# --- the record matrix ---------------------------------------------------------------------


@dataclass(frozen=True)
class Situation:
    kind: ResourceKind
    unit: str  # own / subordinate / other
    restricted: bool
    cleared: bool
    relation: str  # saksansvarlig / saksbehandler / group-member / none
    day: str
    closed: bool

    def __str__(self) -> str:
        return (
            f"{self.kind.value}, {self.unit} unit, "
            f"{'restricted' if self.restricted else 'unrestricted'}, "
            f"{'cleared' if self.cleared else 'not cleared'}, {self.relation}, {self.day}, "
            f"{'closed' if self.closed else 'open'}"
        )


SITUATIONS = [
    Situation(*cell)
    for cell in itertools.product(
        ResourceKind,
        UNITS,
        (False, True),
        (False, True),
        RELATIONS,
        DAYS,
        (False, True),
    )
]

RECORD_ACTIONS = [action for action in Action if action is not Action.AUTHORISE]


@cache
def resource(s: Situation) -> Resource:
    saksmappe = s.kind is ResourceKind.SAKSMAPPE
    is_saksbehandler = s.relation == "saksbehandler"
    return Resource(
        kind=s.kind,
        id=RECORD,
        unit_id=UNITS[s.unit],
        saksansvarlig_id=ME if s.relation == "saksansvarlig" else COLLEAGUE,
        saksbehandler_id=None if saksmappe else (ME if is_saksbehandler else COLLEAGUE),
        journalpost_saksbehandler_ids=(
            frozenset({ME if is_saksbehandler else COLLEAGUE}) if saksmappe else frozenset()
        ),
        access_code=CODE if s.restricted else None,
        group_ids=frozenset({MY_GROUP}),
        saksstatus=(Saksstatus.A if s.closed else Saksstatus.B) if saksmappe else None,
        journalstatus=None if saksmappe else (Journalstatus.J if s.closed else Journalstatus.F),
        is_closed=s.closed,
    )


# The oracle. Seed 004 in tables: what each role may do, and how far.
#
# A "scope" names how far a right reaches; `reach` below says, for one situation, whether
# it reaches and which rule decides. The tables hold, per role, the scope of each action;
# an action missing from a role's table falls to the refusals at the end.

ARCHIVE = (Role.ARKIVLEDER, Role.ARKIVTJENESTE)
SYSTEMS = (Role.FAGSYSTEM, Role.INTERN_TJENESTE)

ONLY_ON = {
    Action.CREATE_JOURNALPOST: ResourceKind.SAKSMAPPE,
    Action.REGISTER_PROCESSING_PLAN: ResourceKind.SAKSMAPPE,
    Action.CLOSE_CASE: ResourceKind.SAKSMAPPE,
    Action.APPROVE: ResourceKind.JOURNALPOST,
    Action.SEND: ResourceKind.JOURNALPOST,
}

# §3/§5/§6 registers incoming post, §8.1 fordeler, §8.2 "kan rette feil i alle saker",
# §8.3 kvalitetssikrer "ved avslutning av saker".
_ARCHIVE_SCOPES = {
    Action.CREATE_JOURNALPOST: ("everywhere", "archive.register.all"),
    Action.UPDATE: ("everywhere", "archive.register.all"),
    Action.ADD_REMARK: ("everywhere", "archive.register.all"),
    Action.CLOSE_CASE: ("everywhere", "archive.close-case.all"),
    Action.DISTRIBUTE: ("everywhere", "archive.distribute.all"),
}
# §2 Ledere: opprette journalposter, registrering og retting, merknader, behandlingsplan —
# for tilgangsbegrensede saker man ikke er medlem av: egen enhet og enheter under.
_LEADER_WRITE = ("leader-write", "leader.write")
_LEADER_SCOPES = {
    Action.CREATE_JOURNALPOST: _LEADER_WRITE,
    Action.UPDATE: _LEADER_WRITE,
    Action.CORRECT: _LEADER_WRITE,
    Action.ADD_REMARK: _LEADER_WRITE,
    Action.REGISTER_PROCESSING_PLAN: _LEADER_WRITE,
    Action.CLOSE_CASE: _LEADER_WRITE,
    Action.APPROVE: ("unit-tree", "leader.approve"),
    Action.SEND: ("unit-tree", "leader.send"),
}
# §2 Saksbehandlere: journalposter i begrensede saker bare som saksansvarlig, saksbehandler
# eller gruppemedlem; alle andre skriverettigheter bare som saksansvarlig (sak) eller
# saksbehandler (journalpost); ad hoc-grupper på egne saker/journalposter.
_HANDLER_WRITE = ("handler-write", "saksbehandler.write")
_HANDLER_SCOPES = {
    Action.CREATE_JOURNALPOST: ("handler-create", "saksbehandler.create-journalpost"),
    Action.UPDATE: _HANDLER_WRITE,
    Action.CORRECT: _HANDLER_WRITE,
    Action.ADD_REMARK: _HANDLER_WRITE,
    Action.REGISTER_PROCESSING_PLAN: _HANDLER_WRITE,
    Action.CLOSE_CASE: _HANDLER_WRITE,
    Action.SEND: _HANDLER_WRITE,
    Action.CREATE_AD_HOC_GROUP: ("handler-ad-hoc", "saksbehandler.ad-hoc-group"),
}
_SYSTEM_WRITE = ("cleared", "system.write")
_SYSTEM_SCOPES = {
    action: _SYSTEM_WRITE
    for action in (
        Action.CREATE_JOURNALPOST,
        Action.UPDATE,
        Action.ADD_REMARK,
        Action.REGISTER_PROCESSING_PLAN,
        Action.SEND,
        Action.CLOSE_CASE,
    )
}
SCOPES: dict[Role, dict[Action, tuple[str, str]]] = {
    Role.ARKIVLEDER: _ARCHIVE_SCOPES,
    Role.ARKIVTJENESTE: _ARCHIVE_SCOPES,
    Role.LEDER: _LEADER_SCOPES,
    Role.SAKSBEHANDLER: _HANDLER_SCOPES,
    Role.SYSTEMANSVARLIG: {},
    Role.LESETILGANG: {},
    Role.FAGSYSTEM: _SYSTEM_SCOPES,
    Role.INTERN_TJENESTE: _SYSTEM_SCOPES,
}


def is_member(s: Situation) -> bool:
    # §2 "saksansvarlig, saksbehandler eller medlem av tilgangsgruppe på annen måte".
    return s.relation != "none"


def reach(scope: str, prefix: str, s: Situation) -> tuple[bool, str]:
    """Whether a right of this scope reaches the situation, and the rule that says so."""
    in_unit_tree = s.unit in ("own", "subordinate")
    match scope:
        case "everywhere":
            return True, prefix
        case "leader-write":
            if not s.restricted:
                return True, f"{prefix}.unrestricted"
            if is_member(s):
                return True, f"{prefix}.member"
            if in_unit_tree:
                return True, f"{prefix}.own-unit-tree"
            return False, f"{prefix}.restricted-outside-unit-tree"
        case "unit-tree":
            if in_unit_tree:
                return True, f"{prefix}.own-unit-tree"
            return False, f"{prefix}.outside-unit-tree"
        case "handler-create":
            if not s.restricted:
                return True, f"{prefix}.unrestricted"
            if is_member(s):
                return True, f"{prefix}.member"
            return False, f"{prefix}.restricted-not-member"
        case "handler-write":
            if s.relation == "saksansvarlig":
                return True, f"{prefix}.saksansvarlig"
            if s.relation == "saksbehandler" and s.kind is ResourceKind.JOURNALPOST:
                return True, f"{prefix}.saksbehandler"
            return False, f"{prefix}.not-responsible"
        case "handler-ad-hoc":
            if s.relation == "saksansvarlig" and s.kind is ResourceKind.SAKSMAPPE:
                return True, f"{prefix}.saksansvarlig"
            if s.relation == "saksbehandler" and s.kind is ResourceKind.JOURNALPOST:
                return True, f"{prefix}.saksbehandler"
            return False, f"{prefix}.not-own"
        case "cleared":
            if not s.restricted:
                return True, f"{prefix}.unrestricted"
            if s.cleared:
                return True, f"{prefix}.cleared"
            return False, f"{prefix}.not-cleared"
    raise AssertionError(scope)


def expected(role: Role, action: Action, s: Situation) -> tuple[bool, str]:
    # §1: rights follow the exact dates; nothing before the start or after the end.
    if s.day == "day-before-start":
        return False, "validity.not-yet-valid"
    if s.day == "day-after-end":
        return False, "validity.ended"
    if action in ONLY_ON and s.kind is not ONLY_ON[action]:
        return False, "action.not-applicable-to-kind"
    # §8.2 "Arkivtjenesten kan rette feil i alle saker" — closed ones too.
    if role in ARCHIVE and action is Action.CORRECT:
        return True, "archive.correct.all"
    if action is Action.READ:
        return True, "read.unscreened"
    if action is Action.READ_SCREENED:
        if not s.restricted:
            return True, "read-screened.unrestricted"
        if s.cleared:
            return True, "read-screened.cleared"
        if is_member(s):
            return True, "read-screened.member"
        return False, "read-screened.not-cleared"
    if s.closed:
        return False, "saksmappe.closed"
    if action in SCOPES[role]:
        return reach(*SCOPES[role][action], s)
    if role is Role.LESETILGANG:
        return False, "lesetilgang.read-only"
    if action is Action.APPROVE:
        return False, "approve.leader-only"
    if action is Action.DISTRIBUTE:
        return False, "distribute.archive-service-only"
    return False, "default-deny"


@pytest.mark.parametrize(
    ("role", "action"),
    list(itertools.product(Role, RECORD_ACTIONS)),
    ids=lambda value: value.value,
)
def test_record_matrix(role: Role, action: Action) -> None:
    wrong = []
    for s in SITUATIONS:
        who = principal(role, cleared=s.cleared, in_group=s.relation == "group-member")
        decision = decide(who, action, resource(s), DAYS[s.day])
        want = expected(role, action, s)
        if (decision.allowed, decision.rule) != want:
            wrong.append(f"{s}: got {decision.allowed}/{decision.rule}, want {want[0]}/{want[1]}")
    assert not wrong, f"{len(wrong)} of {len(SITUATIONS)} cells differ:\n" + "\n".join(wrong[:40])


def test_record_matrix_covers_every_situation_and_both_answers() -> None:
    assert len(SITUATIONS) == 2 * 3 * 2 * 2 * 4 * 4 * 2
    answers = {
        expected(role, action, s)
        for role, action, s in itertools.product(Role, RECORD_ACTIONS, SITUATIONS)
    }
    assert {allowed for allowed, _ in answers} == {True, False}


# --- the authorise matrix ------------------------------------------------------------------


@dataclass(frozen=True)
class GrantSituation:
    unit: str  # the grantee's unit: own / subordinate / other
    code: str  # held / not-held (by the principal)
    group: str  # none / held / not-held
    role: Role | None  # the role granted, if any
    change_request: bool  # carries a change request the arkivleder approved
    grantee: str  # other / self
    day: str

    def __str__(self) -> str:
        return (
            f"grantee {self.grantee} in {self.unit} unit, code {self.code}, group {self.group}, "
            f"role {self.role and self.role.value}, "
            f"{'approved request' if self.change_request else 'no request'}, {self.day}"
        )


GRANT_SITUATIONS = [
    GrantSituation(*cell)
    for cell in itertools.product(
        UNITS,
        ("held", "not-held"),
        ("none", "held", "not-held"),
        (None, Role.SAKSBEHANDLER, Role.LESETILGANG, Role.LEDER, Role.ARKIVLEDER),
        (False, True),
        ("other", "self"),
        DAYS,
    )
]


def grant(g: GrantSituation) -> Grant:
    return Grant(
        person_id=ME if g.grantee == "self" else COLLEAGUE,
        unit_id=UNITS[g.unit],
        roles=frozenset({g.role}) if g.role else frozenset(),
        access_codes=frozenset({CODE if g.code == "held" else "SF"}),
        group_ids={"none": frozenset(), "held": {MY_GROUP}, "not-held": {OTHER_GROUP}}[g.group],
        change_request_id=_id("change request") if g.change_request else None,
    )


def expected_authorise(role: Role, g: GrantSituation) -> tuple[bool, str]:
    if g.day == "day-before-start":
        return False, "validity.not-yet-valid"
    if g.day == "day-after-end":
        return False, "validity.ended"
    if g.grantee == "self":
        return False, "authorise.self"
    # §1 "Arkivlederen har hovedansvaret for tildeling og ajourhold av brukerrettigheter".
    if role is Role.ARKIVLEDER:
        return True, "arkivleder.authorise.all"
    if role is Role.LEDER:
        # §1 "sine underordnede"; §2 "bare de koder vedkommende selv er autorisert for".
        if g.unit == "other":
            return False, "leader.authorise.not-subordinate"
        if g.code == "not-held":
            return False, "leader.authorise.code-not-held"
        if g.group == "not-held":
            return False, "leader.authorise.group-not-held"
        if g.role not in (None, Role.SAKSBEHANDLER, Role.LESETILGANG):
            return False, "leader.authorise.role-needs-request"
        return True, "leader.authorise.own-codes"
    # §1 "Dersom IT-tjenesten skal gi eller endre tilgang, må dette skje i samråd med
    # arkivleder".
    if role is Role.SYSTEMANSVARLIG:
        if g.change_request:
            return True, "systemansvarlig.authorise.approved-request"
        return False, "systemansvarlig.authorise.needs-approved-request"
    if role is Role.LESETILGANG:
        return False, "lesetilgang.read-only"
    return False, "default-deny"


@pytest.mark.parametrize("role", list(Role), ids=lambda role: role.value)
def test_authorise_matrix(role: Role) -> None:
    wrong = []
    for g in GRANT_SITUATIONS:
        who = principal(role, cleared=True, in_group=True)
        decision = decide(who, Action.AUTHORISE, None, DAYS[g.day], grant(g))
        want = expected_authorise(role, g)
        if (decision.allowed, decision.rule) != want:
            wrong.append(f"{g}: got {decision.allowed}/{decision.rule}, want {want[0]}/{want[1]}")
    assert not wrong, f"{len(wrong)} of {len(GRANT_SITUATIONS)} cells differ:\n" + "\n".join(
        wrong[:40]
    )


# --- the refusals the issue names ------------------------------------------------------------


def test_a_leader_may_not_grant_a_code_the_leader_lacks() -> None:
    leader = principal(Role.LEDER, cleared=True, in_group=True)  # holds P, not SF
    for_subordinate = Grant(person_id=COLLEAGUE, unit_id=SUBORDINATE_UNIT)

    own_code = for_subordinate.model_copy(update={"access_codes": frozenset({CODE})})
    lacked_code = for_subordinate.model_copy(update={"access_codes": frozenset({CODE, "SF"})})

    held = decide(leader, Action.AUTHORISE, None, VALID_FROM, own_code)
    lacking = decide(leader, Action.AUTHORISE, None, VALID_FROM, lacked_code)

    assert (held.allowed, held.rule) == (True, "leader.authorise.own-codes")
    assert (lacking.allowed, lacking.rule) == (False, "leader.authorise.code-not-held")


def test_a_case_handler_may_not_write_to_a_colleagues_case() -> None:
    handler = principal(Role.SAKSBEHANDLER, cleared=True, in_group=True)
    colleagues_case = Resource(
        kind=ResourceKind.SAKSMAPPE,
        id=RECORD,
        unit_id=OWN_UNIT,
        saksansvarlig_id=COLLEAGUE,
        group_ids=frozenset({MY_GROUP}),  # even sharing the case's access group
    )
    at = date(2026, 4, 15)

    for action in (Action.UPDATE, Action.CORRECT, Action.ADD_REMARK, Action.CLOSE_CASE):
        decision = decide(handler, action, colleagues_case, at)
        assert (decision.allowed, decision.rule) == (False, "saksbehandler.write.not-responsible")
    # Reading it, and adding a journalpost to an unrestricted case, remain open to all.
    assert decide(handler, Action.READ_SCREENED, colleagues_case, at).allowed
    assert decide(handler, Action.CREATE_JOURNALPOST, colleagues_case, at).allowed


def test_a_leaver_is_refused_the_day_after_the_end_date() -> None:
    leaver = principal(Role.SAKSBEHANDLER, cleared=True, in_group=True)
    own_case = Resource(
        kind=ResourceKind.SAKSMAPPE,
        id=RECORD,
        unit_id=OWN_UNIT,
        saksansvarlig_id=ME,
        access_code=CODE,
    )

    on_last_day = decide(leaver, Action.UPDATE, own_case, VALID_TO)
    day_after = [decide(leaver, action, own_case, date(2026, 7, 1)) for action in RECORD_ACTIONS]

    assert on_last_day.allowed
    assert {(d.allowed, d.rule) for d in day_after} == {(False, "validity.ended")}
