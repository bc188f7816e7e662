"""The journalstatus routine, approval of decisions, sending (ekspedere) and dispatch results."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from arkiv5_contracts.events.dispatch import DispatchAccepted, DispatchRejected

from .conftest import ORGNR, UNIT, Journal, case, eventually, publish

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def outgoing(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "journalposttype": "U", "tittel": "Vedtak om økonomisk sosialhjelp", "erVedtak": True,
        "korrespondansepart": [
            {"korrespondanseparttype": "EM", "korrespondansepartNavn": "Lindesnes Bygg AS",
             "organisasjonsnummer": ORGNR},
            {"korrespondanseparttype": "EK", "korrespondansepartNavn": "Per Hansen",
             "postadresse": ["Kirkegata 2"], "postnummer": "4514", "poststed": "Mandal"},
        ],
    }
    body.update(overrides)
    return body


async def _setup(journal: Journal, **overrides: Any) -> tuple[str, dict[str, str], dict[str, str]]:
    handler_id = await journal.grant("saksbehandler", roles=["saksbehandler"])
    await journal.grant("leder", roles=["leder"], led=[UNIT])
    handler = journal.person("saksbehandler")
    saksmappe = (await journal.client.post("/saksmapper", json=case(saksansvarlig=str(handler_id)),
                                           headers=handler)).json()
    response = await journal.client.post(f"/saksmapper/{saksmappe['systemID']}/journalposter",
                                         json=outgoing(**overrides), headers=handler)
    assert response.status_code == 201, response.text
    return response.json()["systemID"], handler, journal.person("leder")


async def _status(journal: Journal, jp: str, code: str, headers: dict[str, str]) -> Any:
    return await journal.client.post(f"/journalposter/{jp}/journalstatus", json={"journalstatus": code}, headers=headers)


async def test_decision_is_sent_only_after_the_leaders_approval(journal: Journal) -> None:
    jp, handler, leader = await _setup(journal)
    upload = await journal.client.post(f"/journalposter/{jp}/dokumenter", params={"tittel": "Vedtak"}, content=PDF,
                                       headers={**handler, "Content-Type": "application/pdf"})
    assert upload.status_code == 201, upload.text

    invalid = await _status(journal, jp, "A", handler)
    assert invalid.status_code == 409
    assert invalid.json()["allowed"] == ["F", "U"]
    assert "F (Ferdigstilt fra saksbehandler)" in invalid.json()["detail"]

    assert (await _status(journal, jp, "F", handler)).status_code == 200
    too_early = await journal.client.post(f"/journalposter/{jp}/ekspedere", headers=handler)
    assert too_early.status_code == 409 and "G (Godkjent av leder)" in too_early.json()["detail"]

    # Only a leader approves.
    self_approval = await _status(journal, jp, "G", handler)
    assert self_approval.status_code == 403
    approved = await _status(journal, jp, "G", leader)
    assert approved.status_code == 200 and approved.json()["journalstatus"]["kode"] == "G"

    by_hand = await _status(journal, jp, "E", handler)
    assert by_hand.status_code == 409 and "ekspedere" in by_hand.json()["detail"]

    sent = await journal.client.post(f"/journalposter/{jp}/ekspedere", headers=handler)
    assert sent.status_code == 202, sent.text
    assert sent.json()["journalstatus"]["kode"] == "G"  # E once every letter is accepted
    [payload] = await journal.outbox_payloads("dispatch.requested.v1")
    requested = json.loads(payload)
    recipients = {p["systemID"]: p for p in sent.json()["korrespondansepart"]}
    assert set(requested["recipient_ids"]) == set(recipients)
    changes = [json.loads(p) for p in await journal.outbox_payloads("status-changed.v1")]
    assert [(c["from_status"], c["to_status"]) for c in changes] == [("R", "F"), ("F", "G")]

    first, second = requested["recipient_ids"]
    now = datetime.now(UTC)
    await publish(journal, DispatchAccepted(dispatch_id=requested["dispatch_id"], journalpost_id=jp,
                                            recipient_id=first, svarut_id=uuid4(), accepted_at=now))
    await publish(journal, DispatchRejected(dispatch_id=requested["dispatch_id"], journalpost_id=jp,
                                            recipient_id=second, reason_code="no-valid-address",
                                            reason="No valid postal address"))

    async def failure_flagged() -> Any:
        body = (await journal.client.get(f"/journalposter/{jp}", headers=handler)).json()
        return body if body["harForsendelsesfeil"] else None

    body = await eventually(failure_flagged)
    failed = [p for p in body["korrespondansepart"] if p["forsendelseStatus"] == "rejected"]
    assert [p["forsendelseFeilkode"] for p in failed] == ["no-valid-address"]
    assert body["journalstatus"]["kode"] == "G"

    # Sending again (address corrected) and acceptance of both letters makes it E.
    again = await journal.client.post(f"/journalposter/{jp}/ekspedere", headers=handler)
    assert again.status_code == 202
    requested = json.loads((await journal.outbox_payloads("dispatch.requested.v1"))[-1])
    for recipient in requested["recipient_ids"]:
        await publish(journal, DispatchAccepted(dispatch_id=requested["dispatch_id"], journalpost_id=jp,
                                                recipient_id=recipient, svarut_id=uuid4(), accepted_at=now))

    async def sent_state() -> Any:
        body = (await journal.client.get(f"/journalposter/{jp}", headers=handler)).json()
        return body if body["journalstatus"]["kode"] == "E" else None

    body = await eventually(sent_state)
    assert body["sendtDato"] is not None and body["harForsendelsesfeil"] is False


async def test_letter_that_is_not_a_decision_is_sent_from_f(journal: Journal) -> None:
    jp, handler, _leader = await _setup(journal, erVedtak=False)
    await journal.client.post(f"/journalposter/{jp}/dokumenter", params={"tittel": "Brev"}, content=PDF,
                              headers={**handler, "Content-Type": "application/pdf"})
    assert (await _status(journal, jp, "F", handler)).status_code == 200
    assert (await journal.client.post(f"/journalposter/{jp}/ekspedere", headers=handler)).status_code == 202


async def test_sending_without_a_document_is_refused_and_writes_nothing(journal: Journal) -> None:
    jp, handler, leader = await _setup(journal, erVedtak=False)
    await _status(journal, jp, "F", handler)
    before = await journal.outbox_types()
    refused = await journal.client.post(f"/journalposter/{jp}/ekspedere", headers=handler)
    assert refused.status_code == 422 and "no document" in refused.json()["detail"]
    assert await journal.outbox_types() == before


async def test_cancelled_journalpost_keeps_its_number(journal: Journal) -> None:
    jp, handler, _leader = await _setup(journal)
    cancelled = await _status(journal, jp, "U", handler)
    assert cancelled.status_code == 200 and cancelled.json()["journalsekvensnummer"] == 1
    final = await _status(journal, jp, "R", handler)
    assert final.status_code == 409 and "none (the status is final)" in final.json()["detail"]
