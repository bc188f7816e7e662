"""The central mailbox through a real Dovecot: one queue item per mail, a second poll changes
nothing, registering gives the journalpost with its parties and documents, and each handled
mail moves to its IMAP folder."""

from __future__ import annotations

import imaplib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from intake_helpers import Wired
from required import missing

from arkiv5_intake.mail import queue
from arkiv5_intake.mail.mailbox import ImapConfig, ImapMailbox
from processes import free_port
from project import load_script

CORPUS = Path(__file__).parent / "eml"
FOLDERS = queue.Folders("INBOX", "Arkivert", "Avvist", "Videresendt")


@pytest.fixture
def dovecot(tmp_path: Path) -> Iterator[Any]:
    script = load_script("dovecot_local")
    if script.dovecot_binary() is None:
        missing("Dovecot (apt-get install dovecot-imapd)", state="not installed")
    server = script.DovecotServer(tmp_path / "dovecot", port=free_port()).start()
    try:
        yield server
    finally:
        server.stop()


def imap(server: Any) -> imaplib.IMAP4:
    client = imaplib.IMAP4("127.0.0.1", server.port)
    client.login(server.user, server.password)
    return client


def count(server: Any, folder: str) -> int:
    client = imap(server)
    try:
        status, data = client.select(folder, readonly=True)
        return int(data[0]) if status == "OK" else 0
    finally:
        client.logout()


async def test_the_corpus_through_dovecot_into_the_queue_and_the_journal(wired: Wired, dovecot: Any) -> None:
    files = sorted(CORPUS.glob("*.eml"))
    client = imap(dovecot)
    for path in files:
        assert client.append("INBOX", None, None, path.read_bytes())[0] == "OK"
    client.logout()
    mailbox = ImapMailbox(ImapConfig(host="127.0.0.1", port=dovecot.port, ssl=False, username=dovecot.user,
                                     password=dovecot.password, auth="password", access_token=None, inbox="INBOX"))
    database = wired.intake.state.runtime.database

    assert await queue.poll(database, mailbox, FOLDERS, max_bytes=10_000_000) == len(files)
    assert await queue.poll(database, mailbox, FOLDERS, max_bytes=10_000_000) == 0  # a second poll: nothing
    listed = (await wired.client.get("/epost", headers=wired.epost_headers())).json()["items"]
    assert len(listed) == len(files)
    by_id = {item["messageId"]: item for item in listed}
    assert set(by_id) == {"<alt-1@example.no>", "<rfc2047-1@example.no>", "<fwd-1@kommune.example>",
                          "<msg-1@example.no>", "<smime-1@example.no>"}
    assert by_id["<alt-1@example.no>"]["vedlegg"] == []  # the alternatives are the mail itself
    assert by_id["<rfc2047-1@example.no>"]["subject"] == "Søknad om byggetillatelse – Gård 12"
    assert by_id["<rfc2047-1@example.no>"]["from"] == [{"navn": "Bjørn Ås", "epost": "bjorn.as@example.no"}]
    assert by_id["<rfc2047-1@example.no>"]["vedlegg"] == ["søknad.pdf"]
    assert by_id["<fwd-1@kommune.example>"]["vedlegg"] == ["opprinnelig.eml"]
    assert by_id["<msg-1@example.no>"]["vedlegg"] == ["henvendelse.msg"]
    assert by_id["<smime-1@example.no>"]["vedlegg"] == ["smime.p7s"]

    case = await wired.journal_client.post("/saksmapper", headers=wired.journal_headers(), json={
        "tittel": "Byggesak Gård 12", "administrativEnhet": "00000000-0000-4000-8000-000000000001"})
    assert case.status_code == 201, case.text
    mail = by_id["<rfc2047-1@example.no>"]
    done = await wired.client.post(f"/epost/{mail['id']}/registrer", headers=wired.epost_headers(),
                                   json={"saksmappe": case.json()["systemID"]})
    assert done.status_code == 200, done.text
    journalpost_id = done.json()["journalpostId"]
    journalpost = (await wired.journal_client.get(f"/journalposter/{journalpost_id}",
                                                  headers=wired.journal_headers())).json()
    assert journalpost["tittel"] == "Søknad om byggetillatelse – Gård 12"
    assert journalpost["journalposttype"]["kode"] == "I"
    assert [(p["korrespondanseparttype"]["kode"], p["epostadresse"]) for p in journalpost["korrespondansepart"]] == [
        ("EA", "bjorn.as@example.no"), ("EM", "postmottak@kommune.example")]
    dokumenter = (await wired.journal_client.get(f"/journalposter/{journalpost_id}/dokumenter",
                                                 headers=wired.journal_headers())).json()
    assert [(d["tilknyttetRegistreringSom"]["kode"], d["dokumentobjekt"][0]["filnavn"]) for d in dokumenter] == [
        ("H", "epost.eml"), ("V", "søknad.pdf")]
    merknader = (await wired.journal_client.get(f"/journalposter/{journalpost_id}/merknader",
                                                headers=wired.journal_headers())).json()
    assert "Message-ID: <rfc2047-1@example.no>" in merknader[0]["merknadstekst"]
    assert "<tidligere-2@example.no>" in merknader[0]["merknadstekst"]

    again = await wired.client.post(f"/epost/{mail['id']}/registrer", headers=wired.epost_headers(),
                                    json={"saksmappe": case.json()["systemID"]})
    assert again.status_code == 409  # handled once only
    rejected = await wired.client.post(f"/epost/{by_id['<alt-1@example.no>']['id']}/avvis",
                                       headers=wired.epost_headers(), json={"grunn": "Ikke arkivverdig"})
    assert rejected.status_code == 200, rejected.text
    forwarded = await wired.client.post(f"/epost/{by_id['<msg-1@example.no>']['id']}/videresend",
                                        headers=wired.epost_headers(), json={"til": "byggesak@kommune.example"})
    assert forwarded.status_code == 200, forwarded.text

    assert await queue.poll(database, mailbox, FOLDERS, max_bytes=10_000_000) == 0
    assert (count(dovecot, "INBOX"), count(dovecot, "Arkivert"), count(dovecot, "Avvist"),
            count(dovecot, "Videresendt")) == (2, 1, 1, 1)
    remaining = (await wired.client.get("/epost", headers=wired.epost_headers())).json()["items"]
    assert {item["messageId"] for item in remaining} == {"<fwd-1@kommune.example>", "<smime-1@example.no>"}
