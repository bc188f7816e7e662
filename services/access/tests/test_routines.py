"""The key routines end to end on each backend: migrations, seeding, tokens, approval, decisions."""

from __future__ import annotations

from datetime import timedelta

from jose import jwt

from arkiv5_kit.clock import SYSTEM_CLOCK as clock


async def test_tokens_rotation_and_disabled_account(make_access):
    access = await make_access()
    token = await access.token("systemansvarlig")
    claims = await (await access.verifier("access")).verify(token)
    assert claims.roles == {"systemansvarlig"}
    headers = {"Authorization": f"Bearer {token}"}
    new_kid = (await access.client.post("/admin/signing-keys/rotate", headers=headers)).json()["kid"]
    assert jwt.get_unverified_header(await access.token("arkivleder"))["kid"] == new_kid
    assert (await access.client.get("/me", headers=headers)).status_code == 200
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert (await access.client.get("/me", headers={"Authorization": f"Bearer {tampered}"})).status_code == 401


async def test_change_request_approval_history_and_decision(make_access):
    access = await make_access()
    start = clock.today() + timedelta(days=2)
    person_id = (await access.new_user(effective=start))["person_id"]
    arkivleder = await access.as_user("arkivleder")
    on = (await access.client.get(f"/persons/{person_id}/rights", params={"at": start.isoformat()},
                                  headers=arkivleder)).json()
    assert on["roles"] == ["saksbehandler"]
    history = (await access.client.get("/access-codes/KL/history", headers=arkivleder)).json()
    assert person_id in {h["person_id"] for h in history}
    journal = await access.as_client("journal", "access.decisions")
    resource = {"kind": "saksmappe", "id": person_id, "unit_id": await access.unit_id("HO-BV"), "access_code": "KL"}
    decision = await access.client.post("/decisions", headers=journal, json={
        "person_id": person_id, "action": "read-screened", "resource": resource, "at": start.isoformat()})
    assert decision.json()["allowed"] and decision.json()["rule"] == "read-screened.cleared"
    await access.flushed()
    assert [e.valid_from for e in access.rights_events(person_id)] == [start]
    # Seeding again on the same database adds nothing.
    await access.app.state.runtime.stop()
    again = await make_access()
    assert len((await again.client.get("/units", headers=await again.as_user("arkivleder"))).json()) == 6


