"""Routine rights work an operator runs over HTTP (issue 12, item 8): units renamed, moved and
ended; group members changed; ad hoc groups created on the journal's request; one-time
passwords, their change and lock-out; the directory limited to what the caller may see.

Every test runs on SQLite and on PostgreSQL (`make_access` takes the root `db_backend`).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from arkiv5_contracts.cloudevents import to_binary
from arkiv5_contracts.envelope import Envelope
from arkiv5_contracts.events.access import GroupChanged, UnitChanged
from arkiv5_contracts.events.journal import AdHocGroupRequested
from arkiv5_kit.clock import SYSTEM_CLOCK as clock
from arkiv5_kit.transport.base import OutgoingMessage

from .conftest import Access


def _today() -> date:
    return clock.today()


async def _audit(access: Access, **params: str) -> list[dict[str, Any]]:
    response = await access.client.get("/audit", params=params, headers=await access.as_user("arkivleder"))
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()
    return entries


# --- units ---------------------------------------------------------------------------------


async def test_units_are_renamed_moved_and_ended_with_history_and_leaders_trees_follow(make_access: Any) -> None:
    access: Access = await make_access()
    admin = await access.as_user("arkivleder")
    leder_id = await access.person_id("leder")  # leads HO and everything below it
    created = await access.client.post("/units", headers=admin, json={
        "code": "NAV-SOS", "name": "Sosialtjenesten", "parent_id": await access.unit_id("ADM"),
        "valid_from": "2026-01-01"})
    assert created.status_code == 201, created.text
    unit_id = created.json()["id"]

    async def led_today() -> set[str]:
        response = await access.client.get(f"/persons/{leder_id}/rights", headers=admin)
        assert response.status_code == 200, response.text
        return set(response.json()["led_unit_ids"])

    assert unit_id not in await led_today()

    renamed = await access.client.post(f"/units/{unit_id}/rename", headers=admin, json={"name": "Sosialkontoret"})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "Sosialkontoret"

    before = len(access.rights_events(leder_id))
    moved = await access.client.post(f"/units/{unit_id}/move", headers=admin,
                                     json={"parent_id": await access.unit_id("HO")})
    assert moved.status_code == 200, moved.text
    assert moved.json()["parent_id"] == await access.unit_id("HO")
    # The leader of HO leads the moved unit from now on, in access and in what she publishes.
    assert unit_id in await led_today()
    await access.flushed()
    republished = access.rights_events(leder_id)[before:]
    assert republished and UUID(unit_id) in republished[-1].led_unit_ids

    # A unit cannot go below itself; its parent must exist.
    below_itself = await access.client.post(f"/units/{await access.unit_id('HO')}/move", headers=admin,
                                            json={"parent_id": unit_id})
    assert below_itself.status_code == 422, below_itself.text
    unknown_parent = await access.client.post(f"/units/{unit_id}/move", headers=admin, json={"parent_id": str(uuid4())})
    assert unknown_parent.status_code == 422, unknown_parent.text

    # A unit with an open unit below it does not end; its leaf does.
    child = await access.client.post("/units", headers=admin, json={
        "code": "NAV-SOS-1", "name": "Team 1", "parent_id": unit_id, "valid_from": "2026-01-01"})
    assert child.status_code == 201, child.text
    last_day = (_today() + timedelta(days=30)).isoformat()
    refused = await access.client.post(f"/units/{unit_id}/end", headers=admin, json={"valid_to": last_day})
    assert refused.status_code == 409, refused.text
    assert (await access.client.post(f"/units/{child.json()['id']}/end", headers=admin,
                                     json={"valid_to": last_day})).status_code == 200
    ended = await access.client.post(f"/units/{unit_id}/end", headers=admin, json={"valid_to": last_day})
    assert ended.status_code == 200, ended.text
    assert ended.json()["valid_to"] == last_day

    history = await access.client.get(f"/units/{unit_id}/history", headers=admin)
    assert history.status_code == 200, history.text
    rows = history.json()
    assert [r["change"] for r in rows] == ["created", "renamed", "moved", "ended"]
    assert [r["name"] for r in rows] == ["Sosialtjenesten", "Sosialkontoret", "Sosialkontoret", "Sosialkontoret"]
    assert rows[2]["parent_id"] == await access.unit_id("HO") and rows[3]["valid_to"] == last_day
    assert {r["changed_by"] for r in rows} == {await access.person_id("arkivleder")}

    await access.flushed()
    events = [e.data for e in access.bus.envelopes() if isinstance(e.data, UnitChanged)
              and str(e.data.unit_id) == unit_id]
    assert [(e.version, e.change.value) for e in events] == [(1, "created"), (2, "renamed"), (3, "moved"), (4, "ended")]
    assert events[-1].valid_to == date.fromisoformat(last_day)


async def test_a_new_unit_below_a_led_unit_is_published_in_the_leaders_tree(make_access: Any) -> None:
    access: Access = await make_access()
    leder_id = await access.person_id("leder")
    await access.flushed()
    before = len(access.rights_events(leder_id))
    created = await access.client.post("/units", headers=await access.as_user("arkivleder"), json={
        "code": "HO-NY", "name": "Ny tjeneste", "parent_id": await access.unit_id("HO-BV"),
        "valid_from": "2026-01-01"})
    assert created.status_code == 201, created.text
    await access.flushed()
    republished = access.rights_events(leder_id)[before:]
    assert republished and UUID(created.json()["id"]) in republished[-1].led_unit_ids


async def test_only_arkivleder_or_systemansvarlig_change_units(make_access: Any) -> None:
    access: Access = await make_access()
    unit_id = await access.unit_id("HO-BV")
    for user in ("leder", "saksbehandler"):
        response = await access.client.post(f"/units/{unit_id}/rename", headers=await access.as_user(user),
                                            json={"name": "Barnevernet"})
        assert response.status_code == 403, (user, response.text)
    response = await access.client.post(f"/units/{unit_id}/rename", headers=await access.as_user("systemansvarlig"),
                                        json={"name": "Barnevernet"})
    assert response.status_code == 200, response.text


# --- group membership ----------------------------------------------------------------------


async def test_the_arkivleder_adds_and_ends_group_members_with_history_and_events(make_access: Any) -> None:
    access: Access = await make_access()
    admin = await access.as_user("arkivleder")
    member = await access.person_id("saksbehandler")
    group = await access.client.post("/groups", headers=admin, json={"name": "Barnevernsvakt",
                                                                     "valid_from": "2026-01-01"})
    assert group.status_code == 201, group.text
    group_id = group.json()["id"]

    added = await access.client.post(f"/groups/{group_id}/members", headers=admin, json={"person_id": member})
    assert added.status_code == 201, added.text
    assert added.json()["kind"] == "group" and added.json()["value"] == group_id
    rights = (await access.client.get(f"/persons/{member}/rights", headers=admin)).json()
    assert group_id in rights["group_ids"]
    again = await access.client.post(f"/groups/{group_id}/members", headers=admin, json={"person_id": member})
    assert again.status_code == 409, again.text

    await access.flushed()
    changes = [e.data for e in access.bus.envelopes() if isinstance(e.data, GroupChanged) and str(e.data.group_id) == group_id]
    assert [str(p) for p in changes[-1].member_person_ids] == [member]

    ended = await access.client.post(f"/groups/{group_id}/members/{member}/end", headers=admin, json={})
    assert ended.status_code == 200, ended.text
    assert ended.json()[0]["valid_to"] == (_today() - timedelta(days=1)).isoformat()
    rights = (await access.client.get(f"/persons/{member}/rights", headers=admin)).json()
    assert group_id not in rights["group_ids"]
    await access.flushed()
    changes = [e.data for e in access.bus.envelopes() if isinstance(e.data, GroupChanged) and str(e.data.group_id) == group_id]
    assert changes[-1].member_person_ids == []
    latest = [e for e in access.rights_events(member)]
    assert UUID(group_id) not in next(e for e in reversed(latest) if e.valid_to is None).group_ids

    history = (await access.client.get(f"/groups/{group_id}/members", headers=admin)).json()
    assert len(history) == 1 and history[0]["person_id"] == member and history[0]["ends"]
    assert (await access.client.post(f"/groups/{group_id}/members/{member}/end", headers=admin,
                                     json={})).status_code == 404


async def test_only_the_arkivleder_or_the_ad_hoc_groups_creator_changes_members(make_access: Any) -> None:
    access: Access = await make_access()
    group = await access.client.post("/groups", headers=await access.as_user("arkivleder"),
                                     json={"name": "Kriseteam", "valid_from": "2026-01-01"})
    group_id = group.json()["id"]
    member = await access.person_id("lesetilgang")
    refused = await access.client.post(f"/groups/{group_id}/members", headers=await access.as_user("leder"),
                                       json={"person_id": member})
    assert refused.status_code == 403, refused.text
    denials = await _audit(access, action="group.member-added", outcome="denied")
    assert [d["object_id"] for d in denials] == [group_id]


# --- ad hoc groups requested by the journal ------------------------------------------------


async def _deliver(access: Access, event: AdHocGroupRequested) -> None:
    message = to_binary(Envelope.wrap(event))
    await access.bus.publish([OutgoingMessage(topic=event.topic, key=message.key, value=message.value,
                                              headers=list(message.headers))])


async def _group(access: Access, group_id: str) -> dict[str, Any] | None:
    for _ in range(200):
        groups = (await access.client.get("/groups", headers=await access.as_user("arkivleder"))).json()
        found = next((g for g in groups if g["id"] == group_id), None)
        if found is not None:
            return found
        await asyncio.sleep(0.02)
    return None


async def test_an_ad_hoc_group_requested_by_the_journal_is_created_once_and_its_creator_changes_members(
    make_access: Any,
) -> None:
    access: Access = await make_access()
    handler = await access.person_id("saksbehandler")
    colleague = await access.person_id("lesetilgang")
    saksmappe_id, group_id = uuid4(), uuid4()
    event = AdHocGroupRequested(group_id=group_id, saksmappe_id=saksmappe_id, requested_by=UUID(handler),
                                member_person_ids=[UUID(handler), uuid4()], valid_from=_today())
    await _deliver(access, event)
    await _deliver(access, event)  # redelivered: no second effect
    group = await _group(access, str(group_id))
    assert group is not None and group["is_ad_hoc"] and group["saksmappe_id"] == str(saksmappe_id)
    await access.flushed()
    await asyncio.sleep(0.2)
    groups = (await access.client.get("/groups", headers=await access.as_user("arkivleder"))).json()
    assert sum(1 for g in groups if g["id"] == str(group_id)) == 1
    changes = [e.data for e in access.bus.envelopes() if isinstance(e.data, GroupChanged) and e.data.group_id == group_id]
    assert len(changes) == 1 and changes[0].member_person_ids == [UUID(handler)]  # the unknown id is skipped

    creator = {"Authorization": f"Bearer {await access.token('saksbehandler')}"}
    added = await access.client.post(f"/groups/{group_id}/members", headers=creator, json={"person_id": colleague})
    assert added.status_code == 201, added.text
    members = await access.client.get(f"/groups/{group_id}/members", headers=creator)
    assert members.status_code == 200 and {m["person_id"] for m in members.json()} == {handler, colleague}
    ended = await access.client.post(f"/groups/{group_id}/members/{colleague}/end", headers=creator, json={})
    assert ended.status_code == 200, ended.text
    # Someone else's ad hoc group is not theirs to change.
    other = await access.client.post(f"/groups/{group_id}/members", headers=await access.as_user("leder"),
                                     json={"person_id": colleague})
    assert other.status_code == 403, other.text
    created = await _audit(access, action="group.created", object_id=str(group_id))
    assert len(created) == 1 and created[0]["actor_id"] == handler
    assert created[0]["details"]["unknown_members"] == 1


# --- local passwords -----------------------------------------------------------------------


async def _password_grant(access: Access, username: str, password: str) -> Any:
    return await access.client.post("/oauth2/token", data={"grant_type": "password", "username": username,
                                                           "password": password, "audience": "access"})


async def test_a_one_time_password_must_be_changed_before_the_first_token(make_access: Any) -> None:
    access: Access = await make_access()
    request = await access.new_user(effective=_today(), username="kari.nordmann")
    person_id = request["person_id"]
    admin = await access.as_user("arkivleder")
    set_ = await access.client.post(f"/persons/{person_id}/password", headers=admin, json={})
    assert set_.status_code == 201, set_.text
    assert set_.headers["cache-control"] == "no-store"
    one_time = set_.json()["one_time_password"]
    assert set_.json()["username"] == "kari.nordmann" and len(one_time) >= 12

    first = await _password_grant(access, "kari.nordmann", one_time)
    assert first.status_code == 400, first.text
    assert first.json()["type"].endswith("password-change-required") and first.json()["error"] == "invalid_grant"

    short = await access.client.post("/password-change", json={"username": "kari.nordmann", "password": one_time,
                                                               "new_password": "short"})
    assert short.status_code == 422, short.text
    assert "short" not in short.text
    changed = await access.client.post("/password-change", json={
        "username": "kari.nordmann", "password": one_time, "new_password": "en lang og god setning"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["must_change_password"] is False

    assert (await _password_grant(access, "kari.nordmann", one_time)).status_code == 400
    token = await _password_grant(access, "kari.nordmann", "en lang og god setning")
    assert token.status_code == 200, token.text
    entries = await _audit(access, subject_id=person_id)
    assert {"password.one-time-set", "password.changed"} <= {e["action"] for e in entries}
    assert one_time not in str(entries)


async def test_a_person_without_a_local_account_gets_one_with_a_one_time_password(make_access: Any) -> None:
    access: Access = await make_access()
    request = await access.new_user(effective=_today(), username="per.hansen")
    person_id = request["person_id"]
    admin = await access.as_user("arkivleder")
    taken = await access.client.post(f"/persons/{person_id}/password", headers=admin, json={"username": "leder"})
    assert taken.status_code == 409, taken.text
    # Only the arkivleder sets passwords.
    refused = await access.client.post(f"/persons/{person_id}/password", headers=await access.as_user("leder"),
                                       json={})
    assert refused.status_code == 403, refused.text


async def test_repeated_failures_lock_the_account_until_the_arkivleder_unlocks_it(
    make_access: Any, caplog: pytest.LogCaptureFixture,
) -> None:
    access: Access = await make_access(password_max_failures=3)
    caplog.set_level(logging.INFO)
    person_id = await access.person_id("lesetilgang")
    wrong = "feil-passord-som-ikke-skal-logges"
    for _ in range(3):
        response = await _password_grant(access, "lesetilgang", wrong)
        assert response.status_code == 400, response.text
    # Locked: even the right password is refused, with the same answer as a wrong one.
    locked = await _password_grant(access, "lesetilgang", "demo-password")
    assert locked.status_code == 400 and locked.json()["error"] == "invalid_grant"

    entries = await _audit(access, subject_id=person_id)
    assert [e["action"] for e in entries].count("password.failed") == 4
    assert [e["action"] for e in entries].count("account.locked") == 1
    assert wrong not in str(entries) and "demo-password" not in str(entries)
    assert any("account locked" in r.getMessage() for r in caplog.records)
    assert not any(wrong in r.getMessage() or wrong in str(r.__dict__) for r in caplog.records)

    refused = await access.client.post(f"/persons/{person_id}/unlock", headers=await access.as_user("leder"))
    assert refused.status_code == 403
    unlocked = await access.client.post(f"/persons/{person_id}/unlock", headers=await access.as_user("arkivleder"))
    assert unlocked.status_code == 200, unlocked.text
    assert unlocked.json()["is_locked"] is False and unlocked.json()["failed_logins"] == 0
    assert (await _password_grant(access, "lesetilgang", "demo-password")).status_code == 200


# --- the directory -------------------------------------------------------------------------


async def test_a_leader_sees_only_persons_in_her_unit_tree(make_access: Any) -> None:
    access: Access = await make_access()
    ids = {u: await access.person_id(u) for u in ("arkivleder", "leder", "saksbehandler", "systemansvarlig")}
    leader = await access.as_user("leder")
    listed = await access.client.get("/persons", headers=leader)
    assert listed.status_code == 200, listed.text
    assert {p["id"] for p in listed.json()} == {ids["leder"], ids["saksbehandler"]}
    assert all("job_title" in p for p in listed.json())

    inside = await access.client.get(f"/persons/{ids['saksbehandler']}/history", headers=leader)
    assert inside.status_code == 200 and inside.json()
    for outside in (ids["arkivleder"], ids["systemansvarlig"]):
        assert (await access.client.get(f"/persons/{outside}/history", headers=leader)).status_code == 404
        assert (await access.client.get(f"/persons/{outside}/rights", headers=leader)).status_code == 404
    code_history = (await access.client.get("/access-codes/KL/history", headers=leader)).json()
    assert {h["person_id"] for h in code_history} == {ids["leder"], ids["saksbehandler"]}

    for everyone in ("arkivleder", "systemansvarlig"):
        listed = await access.client.get("/persons", headers=await access.as_user(everyone))
        assert set(ids.values()) <= {p["id"] for p in listed.json()}, everyone
    own = await access.client.get("/persons", headers=await access.as_user("arkivtjeneste"))
    assert [p["id"] for p in own.json()] == [await access.person_id("arkivtjeneste")]
