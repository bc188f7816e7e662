"""Edge cases of the authorisation policy around the matrix: accounts, dates, input, rules."""

from __future__ import annotations

import ast
import re
import sys
from datetime import date, datetime
from pathlib import Path
from uuid import uuid4

import pytest
from pydantic import ValidationError

from arkiv5_contracts import policy
from arkiv5_contracts.codelists import Journalstatus, Saksstatus
from arkiv5_contracts.events.access import RightsChanged
from arkiv5_contracts.policy import (
    DEFAULT_DENY,
    RULES,
    Action,
    Decision,
    Grant,
    Principal,
    Resource,
    ResourceKind,
    Role,
    decide,
)

ME = uuid4()
COLLEAGUE = uuid4()
OWN_UNIT = uuid4()
OTHER_UNIT = uuid4()
TODAY = date(2026, 5, 11)


def person(*roles: Role, **changes: object) -> Principal:
    fields: dict[str, object] = {
        "person_id": ME,
        "roles": frozenset(roles),
        "unit_id": OWN_UNIT,
        "valid_from": date(2026, 1, 1),
        "valid_to": date(2026, 12, 31),
    }
    return Principal(**(fields | changes))


def saksmappe(**changes: object) -> Resource:
    fields: dict[str, object] = {
        "kind": ResourceKind.SAKSMAPPE,
        "id": uuid4(),
        "unit_id": OWN_UNIT,
        "saksansvarlig_id": ME,
        "saksstatus": Saksstatus.B,
    }
    return Resource(**(fields | changes))


def journalpost(**changes: object) -> Resource:
    fields: dict[str, object] = {
        "kind": ResourceKind.JOURNALPOST,
        "id": uuid4(),
        "unit_id": OWN_UNIT,
        "saksansvarlig_id": COLLEAGUE,
        "saksbehandler_id": ME,
        "journalstatus": Journalstatus.F,
    }
    return Resource(**(fields | changes))


def verdict(decision: Decision) -> tuple[bool, str]:
    return decision.allowed, decision.rule


# --- accounts and dates --------------------------------------------------------------------


def test_a_disabled_account_may_do_nothing_not_even_read() -> None:
    disabled = person(Role.ARKIVLEDER, Role.SAKSBEHANDLER, is_disabled=True)
    grant = Grant(person_id=COLLEAGUE, unit_id=OWN_UNIT)
    for action in Action:
        for record in (saksmappe(), journalpost()):
            decision = decide(disabled, action, record, TODAY, grant)
            assert verdict(decision) == (False, "account.disabled"), action


def test_disabled_wins_over_dates_so_the_reason_is_the_most_lasting_one() -> None:
    disabled_leaver = person(Role.SAKSBEHANDLER, is_disabled=True, valid_to=date(2026, 1, 31))
    assert verdict(decide(disabled_leaver, Action.READ, saksmappe(), TODAY)) == (
        False,
        "account.disabled",
    )


def test_open_ended_rights_hold_on_any_later_day() -> None:
    permanent = person(Role.SAKSBEHANDLER, valid_to=None)
    assert verdict(decide(permanent, Action.UPDATE, saksmappe(), date(2099, 12, 31))) == (
        True,
        "saksbehandler.write.saksansvarlig",
    )
    assert verdict(decide(permanent, Action.UPDATE, saksmappe(), date(2025, 12, 31))) == (
        False,
        "validity.not-yet-valid",
    )


def test_rights_for_a_single_day() -> None:
    one_day = person(Role.SAKSBEHANDLER, valid_from=TODAY, valid_to=TODAY)
    assert decide(one_day, Action.READ, saksmappe(), TODAY).allowed
    assert not decide(one_day, Action.READ, saksmappe(), date(2026, 5, 12)).allowed


def test_a_reversed_validity_period_is_refused_when_built() -> None:
    with pytest.raises(ValidationError, match="valid_to is before valid_from"):
        person(Role.SAKSBEHANDLER, valid_from=TODAY, valid_to=date(2026, 5, 10))


def test_a_datetime_is_refused_because_it_hides_which_norwegian_day_it_is() -> None:
    with pytest.raises(TypeError, match="Europe/Oslo"):
        decide(person(Role.SAKSBEHANDLER), Action.READ, saksmappe(), datetime(2026, 5, 11, 23, 30))


# --- closed saksmappe ----------------------------------------------------------------------


def closed_saksmappe() -> Resource:
    return saksmappe(saksstatus=Saksstatus.A, is_closed=True, access_code="P")


def test_a_closed_saksmappe_stays_readable_to_its_saksansvarlig() -> None:
    handler = person(Role.SAKSBEHANDLER)
    assert verdict(decide(handler, Action.READ_SCREENED, closed_saksmappe(), TODAY)) == (
        True,
        "read-screened.member",
    )


@pytest.mark.parametrize(
    "role", [Role.SAKSBEHANDLER, Role.LEDER, Role.FAGSYSTEM, Role.ARKIVTJENESTE]
)
@pytest.mark.parametrize("action", [Action.UPDATE, Action.ADD_REMARK, Action.CREATE_JOURNALPOST])
def test_nobody_registers_in_a_closed_saksmappe(role: Role, action: Action) -> None:
    who = person(role, access_codes=frozenset({"P"}), led_unit_ids=frozenset({OWN_UNIT}))
    assert verdict(decide(who, action, closed_saksmappe(), TODAY)) == (False, "saksmappe.closed")


def test_the_archive_service_corrects_a_closed_saksmappe_it_is_not_cleared_for() -> None:
    archive = person(Role.ARKIVTJENESTE, unit_id=OTHER_UNIT)
    someone_elses = closed_saksmappe().model_copy(update={"saksansvarlig_id": COLLEAGUE})
    assert verdict(decide(archive, Action.CORRECT, someone_elses, TODAY)) == (
        True,
        "archive.correct.all",
    )
    assert verdict(decide(archive, Action.READ_SCREENED, someone_elses, TODAY)) == (
        False,
        "read-screened.not-cleared",
    )


def test_a_journalpost_in_a_closed_saksmappe_is_closed_too() -> None:
    in_closed = journalpost(journalstatus=Journalstatus.J, is_closed=True)
    leader = person(Role.LEDER, led_unit_ids=frozenset({OWN_UNIT}))
    assert verdict(decide(leader, Action.APPROVE, in_closed, TODAY)) == (False, "saksmappe.closed")
    assert verdict(decide(leader, Action.SEND, in_closed, TODAY)) == (False, "saksmappe.closed")


def test_a_saksmappe_with_a_closing_saksstatus_must_say_it_is_closed() -> None:
    for status in (Saksstatus.A, Saksstatus.U):
        with pytest.raises(ValidationError, match="is closed"):
            saksmappe(saksstatus=status, is_closed=False)


# --- roles ---------------------------------------------------------------------------------


def test_an_unknown_role_is_refused_when_a_principal_is_built() -> None:
    with pytest.raises(ValidationError):
        Principal(person_id=ME, roles=frozenset({"superbruker"}), valid_from=TODAY)


def test_an_unknown_role_in_a_rights_event_grants_nothing() -> None:
    rights = RightsChanged(
        person_id=ME,
        version=3,
        valid_from=date(2026, 1, 1),
        roles=["superbruker"],
        unit_id=OWN_UNIT,
        access_codes=["P"],
    )
    newcomer = Principal.from_rights(rights)

    assert newcomer.roles == frozenset()
    for action in (Action.READ, Action.READ_SCREENED, Action.UPDATE, Action.CORRECT):
        assert decide(newcomer, action, saksmappe(), TODAY) is DEFAULT_DENY


def test_a_rights_event_keeps_the_known_roles_and_every_right() -> None:
    led, group = uuid4(), uuid4()
    rights = RightsChanged(
        person_id=ME,
        version=1,
        valid_from=date(2026, 1, 1),
        valid_to=date(2026, 12, 31),
        roles=["leder", "saksbehandler", "a-role-from-the-future"],
        unit_id=OWN_UNIT,
        led_unit_ids=[OWN_UNIT, led],
        access_codes=["P", "KL"],
        group_ids=[group],
    )
    assert Principal.from_rights(rights) == Principal(
        person_id=ME,
        roles=frozenset({Role.LEDER, Role.SAKSBEHANDLER}),
        unit_id=OWN_UNIT,
        led_unit_ids=frozenset({OWN_UNIT, led}),
        access_codes=frozenset({"P", "KL"}),
        group_ids=frozenset({group}),
        valid_from=date(2026, 1, 1),
        valid_to=date(2026, 12, 31),
    )


def test_several_roles_give_the_union_of_their_rights() -> None:
    # A leader who also handles cases: the leader's unit limit and the handler's
    # responsibility limit each open something the other does not.
    both = person(Role.LEDER, Role.SAKSBEHANDLER, led_unit_ids=frozenset({OWN_UNIT}))
    restricted_elsewhere = saksmappe(unit_id=OTHER_UNIT, access_code="P")
    assert verdict(decide(both, Action.UPDATE, restricted_elsewhere, TODAY)) == (
        True,
        "leader.write.member",  # as saksansvarlig
    )
    own_journalpost_elsewhere = journalpost(unit_id=OTHER_UNIT)
    assert verdict(decide(both, Action.CREATE_AD_HOC_GROUP, own_journalpost_elsewhere, TODAY)) == (
        True,
        "saksbehandler.ad-hoc-group.saksbehandler",
    )
    assert verdict(decide(both, Action.SEND, own_journalpost_elsewhere, TODAY)) == (
        True,
        "saksbehandler.write.saksbehandler",
    )


def test_read_only_adds_no_refusal_over_a_role_that_allows() -> None:
    handler_and_reader = person(Role.SAKSBEHANDLER, Role.LESETILGANG)
    assert decide(handler_and_reader, Action.UPDATE, saksmappe(), TODAY).allowed
    reader = person(Role.LESETILGANG)
    assert verdict(decide(reader, Action.UPDATE, saksmappe(), TODAY)) == (
        False,
        "lesetilgang.read-only",
    )


def test_a_leader_writes_in_the_own_unit_even_when_not_listed_among_led_units() -> None:
    staff_leader = person(Role.LEDER, led_unit_ids=frozenset({OTHER_UNIT}))
    restricted_here = saksmappe(saksansvarlig_id=COLLEAGUE, access_code="P")
    assert verdict(decide(staff_leader, Action.CORRECT, restricted_here, TODAY)) == (
        True,
        "leader.write.own-unit-tree",
    )


def test_a_handler_of_one_journalpost_may_add_journalposts_to_the_restricted_case() -> None:
    handler = person(Role.SAKSBEHANDLER)
    restricted = saksmappe(
        saksansvarlig_id=COLLEAGUE, access_code="P", journalpost_saksbehandler_ids=frozenset({ME})
    )
    assert verdict(decide(handler, Action.CREATE_JOURNALPOST, restricted, TODAY)) == (
        True,
        "saksbehandler.create-journalpost.member",
    )
    assert verdict(decide(handler, Action.UPDATE, restricted, TODAY)) == (
        False,
        "saksbehandler.write.not-responsible",
    )


def test_a_system_client_writes_only_where_cleared() -> None:
    fagsystem = person(Role.FAGSYSTEM, unit_id=None, access_codes=frozenset({"KL"}))
    client_case = saksmappe(saksansvarlig_id=COLLEAGUE, unit_id=OTHER_UNIT, access_code="KL")
    staff_case = client_case.model_copy(update={"access_code": "P"})
    assert verdict(decide(fagsystem, Action.CREATE_JOURNALPOST, client_case, TODAY)) == (
        True,
        "system.write.cleared",
    )
    assert verdict(decide(fagsystem, Action.CREATE_JOURNALPOST, staff_case, TODAY)) == (
        False,
        "system.write.not-cleared",
    )
    assert verdict(decide(fagsystem, Action.CORRECT, client_case, TODAY)) == (False, "default-deny")


def test_the_systemansvarlig_administers_users_but_writes_no_case_content() -> None:
    it = person(Role.SYSTEMANSVARLIG, access_codes=frozenset({"P"}))
    restricted = saksmappe(saksansvarlig_id=COLLEAGUE, access_code="P")
    assert decide(it, Action.READ_SCREENED, restricted, TODAY).allowed  # its codes give that
    assert verdict(decide(it, Action.UPDATE, restricted, TODAY)) == (False, "default-deny")


# --- authorise -----------------------------------------------------------------------------


def test_a_leader_may_grant_case_handler_rights_to_a_subordinate() -> None:
    leader = person(Role.LEDER, led_unit_ids=frozenset({OWN_UNIT}), access_codes=frozenset({"P"}))
    grant = Grant(
        person_id=COLLEAGUE,
        unit_id=OWN_UNIT,
        roles=frozenset({Role.SAKSBEHANDLER}),
        access_codes=frozenset({"P"}),
    )
    assert verdict(decide(leader, Action.AUTHORISE, None, TODAY, grant)) == (
        True,
        "leader.authorise.own-codes",
    )


def test_nobody_authorises_themselves_not_even_the_archive_leader() -> None:
    arkivleder = person(Role.ARKIVLEDER)
    grant = Grant(person_id=ME, unit_id=OWN_UNIT, access_codes=frozenset({"SF"}))
    assert verdict(decide(arkivleder, Action.AUTHORISE, None, TODAY, grant)) == (
        False,
        "authorise.self",
    )


# --- input ---------------------------------------------------------------------------------


def test_authorise_needs_a_grant_and_record_actions_a_record() -> None:
    with pytest.raises(ValueError, match="grant"):
        decide(person(Role.LEDER), Action.AUTHORISE, None, TODAY)
    with pytest.raises(ValueError, match="saksmappe or journalpost"):
        decide(person(Role.LEDER), Action.UPDATE, None, TODAY)


def test_an_action_may_be_given_by_its_value_but_not_made_up() -> None:
    handler = person(Role.SAKSBEHANDLER)
    by_value = decide(handler, "update", saksmappe(), TODAY)  # type: ignore[arg-type]
    assert verdict(by_value) == (True, "saksbehandler.write.saksansvarlig")
    with pytest.raises(ValueError):
        decide(handler, "delete", saksmappe(), TODAY)  # type: ignore[arg-type]


def test_a_blank_access_code_means_unrestricted() -> None:
    assert saksmappe(access_code="").access_code is None
    assert saksmappe(access_code="  ").access_code is None


def test_fields_of_the_other_kind_are_refused() -> None:
    with pytest.raises(ValidationError, match="a saksmappe has no"):
        saksmappe(saksbehandler_id=ME)
    with pytest.raises(ValidationError, match="a journalpost has no"):
        journalpost(journalpost_saksbehandler_ids=frozenset({ME}))
    with pytest.raises(ValidationError, match="a journalpost has no"):
        journalpost(saksstatus=Saksstatus.B)


def test_the_models_are_frozen() -> None:
    with pytest.raises(ValidationError):
        person(Role.LEDER).access_codes = frozenset({"SF"})  # type: ignore[misc]


# --- the rules themselves ------------------------------------------------------------------


def test_rule_ids_are_unique_stable_and_every_one_can_decide() -> None:
    ids = [rule.id for rule in RULES] + [DEFAULT_DENY.rule]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z]+(-[a-z]+)*(\.[a-z]+(-[a-z]+)*)*", rule_id) for rule_id in ids)
    for rule in RULES:
        assert rule.decision == Decision(allowed=rule.allowed, rule=rule.id, reason=rule.reason)
        assert rule.actions, rule.id


def test_reasons_carry_no_personal_data_or_ids() -> None:
    uuid = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}")
    for decision in [rule.decision for rule in RULES] + [DEFAULT_DENY]:
        assert decision.reason.endswith(".") and decision.reason[0].isupper()
        assert not uuid.search(decision.reason)
        assert not re.search(r"\d{11}", decision.reason)  # no fødselsnummer


def test_every_seed_paragraph_or_interpretation_is_named() -> None:
    for rule in RULES:
        paragraphs = r"§\d+(\.\d+)?(, §\d+(\.\d+)?)*"
        assert re.fullmatch(rf"{paragraphs}|interpretation", rule.source), rule.id


def test_a_decision_serialises_for_the_decision_api() -> None:
    decision = decide(person(Role.SAKSBEHANDLER), Action.READ, saksmappe(), TODAY)
    assert Decision.model_validate_json(decision.model_dump_json()) == decision


def test_the_policy_imports_nothing_but_pydantic_and_the_stdlib() -> None:
    tree = ast.parse(Path(policy.__file__).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            imported.add((node.module or "").split(".")[0])
    allowed = set(sys.stdlib_module_names) | {"pydantic", "stdnum", "__future__"}
    assert imported <= allowed, imported - allowed
