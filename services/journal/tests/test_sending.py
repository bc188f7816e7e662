"""Sending never twice: ekspedere per journalpost and recipient, Idempotency-Key, refusal, correction, reasons.

Every test runs on SQLite and on PostgreSQL (the `journal` fixture).
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy.exc import IntegrityError

from arkiv5_contracts.events.dispatch import DispatchAccepted, DispatchRejected, DispatchWaiting
from arkiv5_journal.models import Forsendelse, ForsendelseMottaker

from .conftest import Journal, eventually, publish
from .test_workflow import PDF, _setup, _status


async def _ready(journal: Journal) -> tuple[str, dict[str, str]]:
    """An outgoing letter (not a decision) with a document, in journalstatus F, to two external recipients."""
    jp, handler, _leader = await _setup(journal, erVedtak=False)
    upload = await journal.client.post(f"/journalposter/{jp}/dokumenter", params={"tittel": "Brev"}, content=PDF,
                                       headers={**handler, "Content-Type": "application/pdf"})
    assert upload.status_code == 201, upload.text
    assert (await _status(journal, jp, "F", handler)).status_code == 200
    return jp, handler


async def _requested(journal: Journal) -> list[dict[str, Any]]:
    return [json.loads(p) for p in await journal.outbox_payloads("dispatch.requested.v1")]


def _recipients_sent(requested: list[dict[str, Any]]) -> list[str]:
    return sorted(r for event in requested for r in event["recipient_ids"])


async def test_ekspedere_twice_in_sequence_sends_each_recipient_once(journal: Journal) -> None:
    jp, handler = await _ready(journal)
    first = await journal.client.post(f"/journalposter/{jp}/ekspedere", headers=handler)
    second = await journal.client.post(f"/journalposter/{jp}/ekspedere", headers=handler)
    assert first.status_code == 202 and second.status_code == 202, second.text
    [event] = await _requested(journal)
    parts = sorted(p["systemID"] for p in first.json()["korrespondansepart"])
    assert sorted(event["recipient_ids"]) == parts
    for answer in (first.json(), second.json()):
        letters = {f["korrespondansepart"]: f for f in answer["forsendelser"]}
        assert sorted(letters) == parts
        assert {f["dispatchID"] for f in letters.values()} == {event["dispatch_id"]}
        assert {f["state"] for f in letters.values()} == {"requested"}
        # Instants carry their zone on SQLite too, as the OpenAPI document promises.
        assert all(f["requestedAt"].endswith(("Z", "+00:00")) for f in letters.values()), letters


async def test_concurrent_ekspedere_sends_each_recipient_once(journal: Journal) -> None:
    jp, handler = await _ready(journal)
    answers = await asyncio.gather(*(journal.client.post(f"/journalposter/{jp}/ekspedere", headers=handler)
                                     for _ in range(4)))
    assert [a.status_code for a in answers] == [202] * 4, [a.text for a in answers]
    requested = await _requested(journal)
    assert len(requested) == 1
    parts = sorted(p["systemID"] for p in answers[0].json()["korrespondansepart"])
    assert _recipients_sent(requested) == parts
    assert {f["dispatchID"] for a in answers for f in a.json()["forsendelser"]} == {requested[0]["dispatch_id"]}


async def test_idempotency_key_answers_the_first_answer_and_sends_nothing_new(journal: Journal) -> None:
    jp, handler = await _ready(journal)
    keyed = {**handler, "Idempotency-Key": "send-1"}
    first = await journal.client.post(f"/journalposter/{jp}/ekspedere", headers=keyed)
    [event] = await _requested(journal)
    await publish(journal, DispatchRejected(dispatch_id=event["dispatch_id"], journalpost_id=jp,
                                            recipient_id=event["recipient_ids"][0], reason_code="no-valid-address",
                                            reason="No valid postal address"))

    async def refused() -> Any:
        letters = (await journal.client.get(f"/journalposter/{jp}/forsendelser", headers=handler)).json()
        return [f for f in letters if f["state"] == "rejected"]

    await eventually(refused)
    # A repeat of the key does not resend even the refused recipient; without the key it would.
    repeat = await journal.client.post(f"/journalposter/{jp}/ekspedere", headers=keyed)
    assert repeat.status_code == first.status_code == 202
    assert {f["dispatchID"] for f in repeat.json()["forsendelser"]} == {event["dispatch_id"]}
    assert len(await _requested(journal)) == 1
    other = await journal.client.post(f"/journalposter/{jp}/ekspedere", headers=keyed,
                                      params={"dokumentobjekt": str(uuid4())})
    assert other.status_code == 409 and other.json()["type"].endswith("idempotency-key-reused")
    assert len(await _requested(journal)) == 1


async def test_refused_recipient_is_corrected_and_sent_alone(journal: Journal) -> None:
    jp, handler = await _ready(journal)
    first = await journal.client.post(f"/journalposter/{jp}/ekspedere", headers=handler)
    [event] = await _requested(journal)
    parts = {p["korrespondanseparttype"]["kode"]: p["systemID"] for p in first.json()["korrespondansepart"]}
    person, organisation = parts["EK"], parts["EM"]

    read = await journal.client.get(f"/journalposter/{jp}", headers=handler)
    patch = {"postadresse": ["Kirkegata 4"], "postnummer": "4515"}
    merge = {**handler, "Content-Type": "application/merge-patch+json", "If-Match": read.headers["ETag"]}
    in_flight = await journal.client.patch(f"/journalposter/{jp}/korrespondanseparter/{person}", json=patch,
                                           headers=merge)
    assert in_flight.status_code == 409 and in_flight.json()["forsendelseStatus"] == "requested"

    now = datetime.now(UTC)
    await publish(journal, DispatchAccepted(dispatch_id=event["dispatch_id"], journalpost_id=jp,
                                            recipient_id=organisation, svarut_id=uuid4(), accepted_at=now))
    await publish(journal, DispatchRejected(dispatch_id=event["dispatch_id"], journalpost_id=jp, recipient_id=person,
                                            reason_code="no-valid-address", reason="No valid postal address"))

    async def states() -> Any:
        letters = (await journal.client.get(f"/journalposter/{jp}/forsendelser", headers=handler)).json()
        found = {f["korrespondansepart"]: f for f in letters}
        return found if {f["state"] for f in found.values()} == {"accepted", "rejected"} else None

    letters = await eventually(states)
    assert letters[person]["reasonCode"] == "no-valid-address" and letters[person]["reason"]

    # The refusal changed the journalpost (harForsendelsesfeil): its ETag moved.
    read = await journal.client.get(f"/journalposter/{jp}", headers=handler)
    merge["If-Match"] = read.headers["ETag"]
    accepted = await journal.client.patch(f"/journalposter/{jp}/korrespondanseparter/{organisation}",
                                          json={"poststed": "Mandal"}, headers=merge)
    assert accepted.status_code == 409 and accepted.json()["forsendelseStatus"] == "accepted"
    stale = await journal.client.patch(f"/journalposter/{jp}/korrespondanseparter/{person}", json=patch,
                                       headers={**merge, "If-Match": '"stale"'})
    assert stale.status_code == 412

    corrected = await journal.client.patch(f"/journalposter/{jp}/korrespondanseparter/{person}", json=patch,
                                           headers=merge)
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["postadresse"] == ["Kirkegata 4"] and corrected.json()["postnummer"] == "4515"
    assert corrected.headers["ETag"] != read.headers["ETag"]
    log = (await journal.client.get(f"/endringslogg/{jp}", headers=handler)).json()
    assert {"postadresse", "postnummer"} <= {r["referanseMetadata"] for r in log if r["referanseArkivenhet"] == person}

    again = await journal.client.post(f"/journalposter/{jp}/ekspedere", headers=handler)
    assert again.status_code == 202, again.text
    first_event, second_event = await _requested(journal)
    assert second_event["recipient_ids"] == [person]
    now_letters = {f["korrespondansepart"]: f for f in again.json()["forsendelser"]}
    assert now_letters[person]["dispatchID"] == second_event["dispatch_id"]
    assert now_letters[person]["state"] == "requested"
    assert now_letters[organisation]["dispatchID"] == first_event["dispatch_id"]
    history = (await journal.client.get(f"/journalposter/{jp}/forsendelser", headers=handler)).json()
    assert [(f["korrespondansepart"], f["state"]) for f in history if f["korrespondansepart"] == person] == [
        (person, "rejected"), (person, "requested")]


async def test_waiting_reason_is_shown_per_recipient(journal: Journal) -> None:
    jp, handler = await _ready(journal)
    await journal.client.post(f"/journalposter/{jp}/ekspedere", headers=handler)
    [event] = await _requested(journal)
    recipient = event["recipient_ids"][0]
    since = datetime.now(UTC)
    await publish(journal, DispatchWaiting(
        dispatch_id=event["dispatch_id"], journalpost_id=jp, recipient_id=recipient,
        reason_code="encryption-certificate-missing", reason="SvarUt has no encryption certificate for the receiver.",
        since=since, next_attempt_at=since + timedelta(minutes=10)))

    async def waiting() -> Any:
        letters = (await journal.client.get(f"/journalposter/{jp}/forsendelser", headers=handler)).json()
        return [f for f in letters if f["state"] == "waiting"]

    [letter] = await eventually(waiting)
    assert letter["korrespondansepart"] == recipient and letter["reasonCode"] == "encryption-certificate-missing"
    # Still on its way: ekspedere does not send to it again.
    await journal.client.post(f"/journalposter/{jp}/ekspedere", headers=handler)
    assert len(await _requested(journal)) == 1


async def test_refusal_by_journalstatus_names_the_allowed_statuses(journal: Journal) -> None:
    jp, handler, _leader = await _setup(journal)  # a decision (vedtak) in R
    refused = await journal.client.post(f"/journalposter/{jp}/ekspedere", headers=handler)
    assert refused.status_code == 409
    assert refused.json()["allowed"] == ["G"] and refused.json()["journalstatus"] == "R"
    letter, handler2, _ = await _setup(journal, erVedtak=False)
    refused = await journal.client.post(f"/journalposter/{letter}/ekspedere", headers=handler2)
    assert refused.status_code == 409 and refused.json()["allowed"] == ["F", "G"]


async def test_dispatch_material_names_the_saksbehandler(journal: Journal) -> None:
    jp, handler = await _ready(journal)
    saksbehandler = (await journal.client.get(f"/journalposter/{jp}", headers=handler)).json()["saksbehandler"]
    assert saksbehandler == str(journal.persons["saksbehandler"])
    material = await journal.client.get(f"/internal/journalposter/{jp}/dispatch-material",
                                        headers=journal.service("journal.dispatch"))
    assert material.status_code == 200, material.text
    assert material.json()["metadata"]["saksbehandler"] == saksbehandler


async def test_the_database_refuses_a_second_letter_in_flight_to_one_recipient(journal: Journal) -> None:
    jp, handler = await _ready(journal)
    await journal.client.post(f"/journalposter/{jp}/ekspedere", headers=handler)
    [event] = await _requested(journal)
    now = datetime.now(UTC)
    with pytest.raises(IntegrityError):
        async with journal.runtime.database.unit_of_work() as session:
            dispatch = Forsendelse(journalpost_id=UUID(jp), requested_at=now, requested_by="test")
            session.add(dispatch)
            await session.flush()
            session.add(ForsendelseMottaker(dispatch_id=dispatch.dispatch_id, journalpost_id=UUID(jp),
                                            korrespondansepart_id=UUID(event["recipient_ids"][0]), state="requested",
                                            requested_at=now, changed_at=now))
            await session.flush()
