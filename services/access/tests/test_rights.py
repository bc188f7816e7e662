"""Seed 004 §1–2 over HTTP: written change requests, effective dates, events, direct
authorisation within the leader's codes, review, history, decisions and the audit log."""

from __future__ import annotations

from datetime import timedelta

from arkiv5_kit.clock import SYSTEM_CLOCK as clock


async def test_approved_new_user_gets_rights_from_the_exact_date_and_an_event_with_it(access):
    start = clock.today() + timedelta(days=10)
    request = await access.new_user(effective=start)
    person_id = request["person_id"]
    assert request["status"] == "approved" and person_id
    headers = await access.as_user("arkivleder")
    before = (await access.client.get(f"/persons/{person_id}/rights",
                                      params={"at": (start - timedelta(days=1)).isoformat()}, headers=headers)).json()
    on = (await access.client.get(f"/persons/{person_id}/rights", params={"at": start.isoformat()},
                                  headers=headers)).json()
    assert before["roles"] == [] and on["roles"] == ["saksbehandler"] and on["access_codes"] == ["KL"]
    assert on["unit_id"] == await access.unit_id("HO-BV") and on["valid_from"] == start.isoformat()
    await access.flushed()
    events = access.rights_events(person_id)
    assert [(e.valid_from, e.valid_to, e.roles, e.access_codes) for e in events] == [
        (start, None, ["saksbehandler"], ["KL"])
    ]
    assert events[0].change_request_id is not None and str(events[0].change_request_id) == request["id"]


async def test_submitted_request_changes_nothing_until_approved_and_rejection_grants_nothing(access):
    request = await access.new_user(effective=clock.today(), approve=False)
    arkivleder = await access.as_user("arkivleder")
    pending = (await access.client.get("/change-requests", params={"status": "submitted"}, headers=arkivleder)).json()
    assert [r["id"] for r in pending] == [request["id"]]
    rejected = await access.client.post(f"/change-requests/{request['id']}/decision",
                                        json={"outcome": "rejected", "note": "Ikke lønnsmelding"}, headers=arkivleder)
    assert rejected.json()["status"] == "rejected" and rejected.json()["person_id"] is None
    again = await access.client.post(f"/change-requests/{request['id']}/decision", json={"outcome": "approved"},
                                     headers=arkivleder)
    assert again.status_code == 409


async def test_only_the_arkivleder_approves(access):
    request = await access.new_user(effective=clock.today(), approve=False)
    leader = await access.as_user("leder")
    refused = await access.client.post(f"/change-requests/{request['id']}/decision", json={"outcome": "approved"},
                                       headers=leader)
    assert refused.status_code == 403
    arkivleder = await access.as_user("arkivleder")
    still = (await access.client.get(f"/change-requests/{request['id']}", headers=arkivleder)).json()
    assert still["status"] == "submitted"


async def test_leader_may_not_request_for_a_person_outside_the_own_unit_tree(access):
    leader = await access.as_user("leder")
    body = {"kind": "new-user", "full_name": "Ola", "job_title": "Konsulent", "effective_date": clock.today().isoformat(),
            "unit_id": await access.unit_id("ARK"), "roles": ["saksbehandler"]}
    response = await access.client.post("/change-requests", json=body, headers=leader)
    assert response.status_code == 403
    assert (await access.client.get("/change-requests", headers=leader)).json() == []


async def test_invalid_request_is_a_precise_422_and_writes_nothing(access):
    leader = await access.as_user("leder")
    body = {"kind": "change", "full_name": "Ola", "job_title": "K", "effective_date": clock.today().isoformat(),
            "unit_id": await access.unit_id("HO"), "roles": ["saksbehandler"]}
    response = await access.client.post("/change-requests", json=body, headers=leader)
    assert response.status_code == 422 and "person_id" in response.json()["detail"]
    body.update(kind="new-user", access_codes=["NO-SUCH"])
    response = await access.client.post("/change-requests", json=body, headers=leader)
    assert response.status_code == 422 and response.json()["detail"] == (
        "An access code named in the request does not exist."
    )
    assert (await access.client.get("/change-requests", headers=leader)).json() == []


async def test_leaver_rights_stop_on_the_date_without_anyone_acting_and_history_keeps_everything(access):
    request = await access.new_user(effective=clock.today() - timedelta(days=30))
    person_id = request["person_id"]
    stop = clock.today() + timedelta(days=5)
    leader = await access.as_user("leder")
    leaver = await access.client.post("/change-requests", headers=leader, json={
        "kind": "leaver", "person_id": person_id, "full_name": "Kari Nordmann", "job_title": "Barnevernskonsulent",
        "effective_date": stop.isoformat()})
    assert leaver.status_code == 201, leaver.text
    arkivleder = await access.as_user("arkivleder")
    await access.client.post(f"/change-requests/{leaver.json()['id']}/decision", json={"outcome": "approved"},
                             headers=arkivleder)
    last_day = (await access.client.get(f"/persons/{person_id}/rights",
                                        params={"at": (stop - timedelta(days=1)).isoformat()}, headers=arkivleder)).json()
    after = (await access.client.get(f"/persons/{person_id}/rights", params={"at": stop.isoformat()},
                                     headers=arkivleder)).json()
    assert last_day["roles"] == ["saksbehandler"] and after["roles"] == [] and after["is_disabled"]
    await access.flushed()
    # One publish sends its snapshots newest period first; read them in date order.
    newest = sorted(access.rights_events(person_id)[-2:], key=lambda e: e.valid_from)
    assert [(e.valid_to, e.roles) for e in newest] == [(stop - timedelta(days=1), ["saksbehandler"]), (None, [])]
    assert newest[1].valid_from == stop and newest[1].version > newest[0].version
    history = (await access.client.get(f"/persons/{person_id}/history", headers=arkivleder)).json()
    assert {(h["kind"], h["value"]) for h in history} >= {("role", "saksbehandler"), ("access-code", "KL")}
    code = next(h for h in history if h["kind"] == "access-code")
    assert code["valid_to"] == (stop - timedelta(days=1)).isoformat()
    assert code["granted_by"] == await access.person_id("arkivleder")
    assert code["requested_by"] == await access.person_id("leder")
    assert code["ends"][0]["change_request_id"] == leaver.json()["id"]
    by_code = (await access.client.get("/access-codes/KL/history", headers=arkivleder)).json()
    assert person_id in {h["person_id"] for h in by_code}


async def test_changed_roles_keep_the_unchanged_rights_and_end_the_rest(access):
    person_id = (await access.new_user(effective=clock.today() - timedelta(days=10), codes=("KL", "6")))["person_id"]
    leader = await access.as_user("leder")
    change_on = clock.today() + timedelta(days=3)
    submitted = await access.client.post("/change-requests", headers=leader, json={
        "kind": "change", "person_id": person_id, "full_name": "Kari Nordmann", "job_title": "Teamleder",
        "effective_date": change_on.isoformat(), "unit_id": await access.unit_id("HO-BV"),
        "roles": ["saksbehandler", "lesetilgang"], "access_codes": ["KL"]})
    await access.client.post(f"/change-requests/{submitted.json()['id']}/decision", json={"outcome": "approved"},
                             headers=await access.as_user("arkivleder"))
    arkivleder = await access.as_user("arkivleder")
    rights_now = (await access.client.get(f"/persons/{person_id}/rights", headers=arkivleder)).json()
    rights_then = (await access.client.get(f"/persons/{person_id}/rights", params={"at": change_on.isoformat()},
                                           headers=arkivleder)).json()
    assert rights_now["access_codes"] == ["6", "KL"] and rights_now["roles"] == ["saksbehandler"]
    assert rights_then["access_codes"] == ["KL"] and rights_then["roles"] == ["lesetilgang", "saksbehandler"]
    history = (await access.client.get(f"/persons/{person_id}/history", headers=arkivleder)).json()
    kl = [h for h in history if h["value"] == "KL"]
    assert len(kl) == 1 and kl[0]["valid_to"] is None  # kept, not ended and re-granted


async def test_leader_authorises_within_own_codes_and_the_arkivleder_reviews(access):
    handler_id = await access.person_id("saksbehandler")
    leader = await access.as_user("leder")
    granted = await access.client.post(f"/persons/{handler_id}/authorisations", headers=leader,
                                       json={"access_codes": ["P"], "valid_from": clock.today().isoformat()})
    assert granted.status_code == 201, granted.text
    assert granted.json()["rule"] == "leader.authorise.own-codes" and granted.json()["needs_review"]
    arkivleder = await access.as_user("arkivleder")
    rights_now = (await access.client.get(f"/persons/{handler_id}/rights", headers=arkivleder)).json()
    assert set(rights_now["access_codes"]) == {"KL", "P"}
    pending = (await access.client.get("/reviews", headers=arkivleder)).json()
    assert [p["id"] for p in pending] == [granted.json()["id"]]
    revoked = await access.client.post(f"/reviews/{granted.json()['id']}", headers=arkivleder,
                                       json={"outcome": "revoked", "note": "Trenger ikke P"})
    assert revoked.status_code == 200 and revoked.json()["review_outcome"] == "revoked"
    rights_after = (await access.client.get(f"/persons/{handler_id}/rights", headers=arkivleder)).json()
    assert rights_after["access_codes"] == ["KL"]
    assert (await access.client.get("/reviews", headers=arkivleder)).json() == []
    log = (await access.client.get("/audit", params={"subject_id": handler_id}, headers=arkivleder)).json()
    assert {e["action"] for e in log} >= {"rights.authorised", "authorisation.revoked"}


async def test_leader_may_not_grant_a_code_not_held_nor_a_role_beyond_case_handler(access):
    handler_id = await access.person_id("saksbehandler")
    leader = await access.as_user("leder")
    code = await access.client.post(f"/persons/{handler_id}/authorisations", headers=leader,
                                    json={"access_codes": ["5"], "valid_from": clock.today().isoformat()})
    assert code.status_code == 403 and code.json()["rule"] == "leader.authorise.code-not-held"
    role = await access.client.post(f"/persons/{handler_id}/authorisations", headers=leader,
                                    json={"roles": ["leder"], "valid_from": clock.today().isoformat()})
    assert role.status_code == 403 and role.json()["rule"] == "leader.authorise.role-needs-request"
    arkivleder = await access.as_user("arkivleder")
    rights_now = (await access.client.get(f"/persons/{handler_id}/rights", headers=arkivleder)).json()
    assert rights_now["access_codes"] == ["KL"] and rights_now["roles"] == ["saksbehandler"]
    denied = (await access.client.get("/audit", params={"outcome": "denied"}, headers=arkivleder)).json()
    assert sorted(e["rule"] for e in denied) == ["leader.authorise.code-not-held", "leader.authorise.role-needs-request"]


async def test_case_handler_cannot_reach_rights_management(access):
    handler = await access.as_user("saksbehandler")
    assert (await access.client.get("/change-requests", headers=handler)).status_code == 403
    assert (await access.client.post("/decisions", headers=handler, json={}) ).status_code == 403


async def test_decision_api_answers_policy_decide_from_stored_rights_on_the_date(access):
    handler_id = await access.person_id("saksbehandler")
    unit_id = await access.unit_id("HO-BV")
    headers = await access.as_client("journal", "access.decisions")
    resource = {"kind": "saksmappe", "id": handler_id, "unit_id": unit_id, "access_code": "KL"}
    cleared = await access.client.post("/decisions", headers=headers,
                                       json={"person_id": handler_id, "action": "read-screened", "resource": resource})
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["allowed"] and cleared.json()["rule"] == "read-screened.cleared"
    not_cleared = await access.client.post("/decisions", headers=headers, json={
        "person_id": handler_id, "action": "read-screened", "resource": {**resource, "access_code": "P"}})
    assert not not_cleared.json()["allowed"] and not_cleared.json()["rule"] == "read-screened.not-cleared"
    before = await access.client.post("/decisions", headers=headers, json={
        "person_id": handler_id, "action": "read", "resource": resource, "at": "2019-12-31"})
    assert before.json()["allowed"] is False and before.json()["at"] == "2019-12-31"
    bad = await access.client.post("/decisions", headers=headers, json={"person_id": handler_id, "action": "read"})
    assert bad.status_code == 422


async def test_services_post_denied_screened_reads_to_the_audit_log(access):
    handler_id = await access.person_id("saksbehandler")
    journal = await access.as_client("journal", "access.audit.write")
    entry = {"action": "journalpost.read-screened", "outcome": "denied", "actor_id": handler_id,
             "object_type": "journalpost", "object_id": handler_id, "access_code": "P",
             "rule": "read-screened.not-cleared"}
    posted = await access.client.post("/audit", headers=journal, json=entry)
    assert posted.status_code == 201, posted.text
    assert posted.json()["service"] == "journal"
    person = await access.as_user("arkivleder")
    assert (await access.client.post("/audit", headers=person, json=entry)).status_code == 403
    listed = (await access.client.get("/audit", params={"action": "journalpost.read-screened"},
                                      headers=person)).json()
    assert [(e["outcome"], e["access_code"], e["rule"]) for e in listed] == [
        ("denied", "P", "read-screened.not-cleared")]


async def test_ad_hoc_group_tied_to_one_record_publishes_group_and_rights(access):
    handler_id = await access.person_id("saksbehandler")
    journal = await access.as_client("journal", "access.groups.write")
    body = {"name": "Sak 2026/12", "is_ad_hoc": True, "saksmappe_id": handler_id,
            "valid_from": clock.today().isoformat(), "member_person_ids": [handler_id]}
    created = await access.client.post("/groups", headers=journal, json=body)
    assert created.status_code == 201, created.text
    both = {**body, "journalpost_id": handler_id}
    assert (await access.client.post("/groups", headers=journal, json=both)).status_code == 422
    await access.flushed()
    from arkiv5_contracts.events.access import GroupChanged

    groups = [e.data for e in access.bus.envelopes() if isinstance(e.data, GroupChanged)]
    assert [(str(g.group_id), g.is_ad_hoc, [str(m) for m in g.member_person_ids]) for g in groups] == [
        (created.json()["id"], True, [handler_id])]
    newest = max(access.rights_events(handler_id), key=lambda e: e.version)  # the latest period
    assert str(newest.group_ids[0]) == created.json()["id"]


async def test_seeding_is_idempotent(make_access):
    first = await make_access()
    ids = await first.person_id("leder")
    await first.app.state.runtime.stop()
    second = await make_access()
    assert await second.person_id("leder") == ids
    units = (await second.client.get("/units", headers=await second.as_user("arkivleder"))).json()
    assert len(units) == 6
