"""The journal's enforcement and the access decision API give the same answer for the same
person, record and date (issue 12): validity windows are honoured on their day without a new
event, and a unit created after a leader's rights were published is in her tree.

The journal runs on a settable clock (the kit's one clock, swapped into the journal's context);
for every date the test asks the journal (GET the journalpost: 403, masked or in full) and
the decision API (`POST /access/decisions` with `at`) about READ and READ_SCREENED, and
asserts they agree — on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from arkiv5_kit.clock import OSLO, SettableClock
from suite_harness import Suite, eventually, suite_each_backend

__all__ = ["suite_each_backend"]  # the fixture, imported for pytest

SKJERMING = {"tilgangsrestriksjon": "P", "skjermingshjemmel": "Offl. § 13 jf. fvl. § 13",
             "skjermingMetadata": ["TMO", "TRO"]}

SECRET = "Validus Vindauge"


def _journal_clock(s: Suite) -> SettableClock:
    """The journal's context with a settable clock (set to noon, Oslo time, today)."""
    app = s.mounted("journal")
    clock = SettableClock(datetime.combine(date.today(), time(12), tzinfo=OSLO).astimezone(UTC))
    app.state.journal_context = dataclasses.replace(app.state.journal_context, clock=clock)
    return clock


def _on(clock: SettableClock, day: date) -> None:
    clock.set(datetime.combine(day, time(12), tzinfo=OSLO))


async def _screened_post(s: Suite, token: str, unit: str) -> tuple[dict[str, Any], dict[str, Any]]:
    async def created() -> Any:
        response = await s.journal("POST", "/saksmapper", token, json={
            "tittel": f"Personalsak {SECRET}", "skjermedeOrd": [SECRET], "skjerming": SKJERMING,
            "administrativEnhet": unit})
        return response if response.status_code == 201 else None

    case = (await eventually(created, what="the leader may create a case in the unit")).json()
    post = await s.journal("POST", f"/saksmapper/{case['systemID']}/journalposter", token, json={
        "journalposttype": "X", "tittel": f"Notat om {SECRET}", "skjermedeOrd": [SECRET]})
    assert post.status_code == 201, post.text
    return case, post.json()


async def _journal_says(s: Suite, token: str, journalpost_id: str) -> tuple[bool, bool]:
    """(may read, may read screened) as the journal enforces it."""
    response = await s.journal("GET", f"/journalposter/{journalpost_id}", token)
    if response.status_code == 403:
        return False, False
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["erSkjermetForDeg"] == (SECRET not in response.text), body
    return True, not body["erSkjermetForDeg"]


async def _policy_says(s: Suite, decider: str, person_id: str, case: dict[str, Any], post: dict[str, Any],
                       day: date) -> tuple[bool, bool]:
    resource = {"kind": "journalpost", "id": post["systemID"], "unit_id": post["administrativEnhet"],
                "saksansvarlig_id": case.get("saksansvarlig"), "saksbehandler_id": post.get("saksbehandler"),
                "access_code": "P", "journalstatus": post["journalstatus"]["kode"], "is_closed": False}
    answers = []
    for action in ("read", "read-screened"):
        response = await s.call("POST", "/access/decisions", decider, json={
            "person_id": person_id, "action": action, "resource": resource, "at": day.isoformat()})
        assert response.status_code == 200, response.text
        answers.append(bool(response.json()["allowed"]))
    return answers[0], answers[1]


async def test_the_journal_and_the_decision_api_agree_over_time_and_over_a_new_unit(suite_each_backend: Suite) -> None:
    s = suite_each_backend
    clock = _journal_clock(s)
    today = clock.today()
    leader = await s.person_token("leder")
    handler = await s.person_token("saksbehandler")
    arkivleder = await s.person_token("arkivleder", audience="access")
    decider = await s.client_token("demo-fagsystem", "access.decisions", audience="access")
    handler_id, leader_id = s.person_ids["saksbehandler"], s.person_ids["leder"]

    # A personnel case in the handler's own unit; he holds KL, not P.
    case, post = await _screened_post(s, leader, s.units["HO-BV"])

    # The arkivleder clears him for P from the day after tomorrow to the fourth day: one event, now.
    starts, ends = today + timedelta(days=2), today + timedelta(days=4)
    granted = await s.call("POST", f"/access/persons/{handler_id}/authorisations", arkivleder, json={
        "access_codes": ["P"], "valid_from": starts.isoformat(), "valid_to": ends.isoformat()})
    assert granted.status_code == 201, granted.text

    async def received() -> bool:
        _on(clock, starts)
        return (await _journal_says(s, handler, post["systemID"]))[1]

    await eventually(received, what="the journal's read model has the dated rights")

    seen: dict[date, tuple[bool, bool]] = {}
    for offset in range(0, 7):
        day = today + timedelta(days=offset)
        _on(clock, day)
        journal = await _journal_says(s, handler, post["systemID"])
        policy = await _policy_says(s, decider, handler_id, case, post, day)
        assert journal == policy, (offset, journal, policy)
        seen[day] = journal
    # The window itself: masked before it starts, in full within it, masked again the day after it ended.
    assert [seen[today + timedelta(days=d)][1] for d in range(7)] == [False, False, True, True, True, False, False]
    assert all(seen[day][0] for day in seen)

    # A unit created after the leader's rights were published is in her tree, in both answers.
    _on(clock, today)
    admin = await s.person_token("arkivleder", audience="access")
    unit = await s.call("POST", "/access/units", admin, json={
        "code": "HO-NY", "name": "Ny avdeling", "parent_id": s.units["HO"], "valid_from": today.isoformat()})
    assert unit.status_code == 201, unit.text
    new_case, new_post = await _screened_post(s, leader, unit.json()["id"])
    for offset in (0, 1, 30):
        day = today + timedelta(days=offset)
        _on(clock, day)
        journal = await _journal_says(s, leader, new_post["systemID"])
        policy = await _policy_says(s, decider, leader_id, new_case, new_post, day)
        assert journal == policy == (True, True), (offset, journal, policy)
