"""The e-mail queue: store each mail once, list it, and register, reject or forward it.

Each raw mail is stored once: a mail whose bytes (SHA-256) or Message-ID are already in the
queue is not stored again, so a second poll of the same mailbox changes nothing. What the
archive service decides is recorded here at once; moving the mail to its IMAP folder
(Arkivert, Avvist, Videresendt) is done by the next poll, which retries until it succeeds.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from arkiv5_kit.db import Database

from .. import store
from ..errors import MailAlreadyHandled, MailNotFound
from ..journal_client import Fil, JournalClient, digest_key
from ..models import Epost, MailState
from .mailbox import Mailbox
from .parse import ParsedMail, parse_mail

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Folders:
    inbox: str
    registered: str
    rejected: str
    forwarded: str

    def for_state(self, state: str) -> str:
        return {MailState.REGISTERED: self.registered, MailState.REJECTED: self.rejected,
                MailState.FORWARDED: self.forwarded}[state]


async def poll(database: Database, mailbox: Mailbox, folders: Folders, *, max_bytes: int) -> int:
    """One round: store what is new, move what was handled. Returns how many mails were new."""
    fetched = await asyncio.to_thread(mailbox.fetch_all)
    new = 0
    async with database.unit_of_work() as session:
        for uid, raw in fetched:
            if len(raw) > max_bytes:
                log.warning("mail over the size limit left in the mailbox", extra={"size": len(raw)})
                continue
            digest = hashlib.sha256(raw).hexdigest()
            if await store.mail_by_hash(session, digest) is not None:
                continue
            message_id = parse_mail(raw).message_id
            if message_id and await store.mail_by_message_id(session, message_id):
                continue
            await store.add_mail(session, sha256=digest, message_id=message_id, raw=raw, folder=folders.inbox,
                                 imap_uid=uid)
            new += 1
    await _move_handled(database, mailbox, folders)
    return new


async def _move_handled(database: Database, mailbox: Mailbox, folders: Folders) -> None:
    async with database.unit_of_work() as session:
        handled = [m for m in await store.list_mail(session, state=None, limit=1000, offset=0)
                   if m.state != MailState.NEW and m.folder == folders.inbox and m.imap_uid]
        moves = [(m.id, str(m.imap_uid), folders.for_state(m.state)) for m in handled]
    for mail_id, uid, folder in moves:
        try:
            await asyncio.to_thread(mailbox.move, uid, folder)
        except Exception as exc:  # the next round tries again
            log.warning("could not move a mail", extra={"error_type": type(exc).__name__})
            continue
        async with database.unit_of_work() as session:
            row = await store.get_mail(session, mail_id)
            if row is not None:
                row.folder = folder


def summary(row: Epost) -> dict[str, Any]:
    parsed = parse_mail(row.raw)
    return {
        "id": str(row.id), "state": row.state, "messageId": row.message_id, "references": parsed.references,
        "subject": parsed.subject, "date": parsed.date.isoformat() if parsed.date else None,
        "from": [a.__dict__ for a in parsed.sender], "to": [a.__dict__ for a in parsed.to],
        "cc": [a.__dict__ for a in parsed.cc], "vedlegg": [v.filnavn for v in parsed.vedlegg],
        "size": row.size, "sha256": row.sha256, "folder": row.folder, "journalpostId":
            str(row.journalpost_id) if row.journalpost_id else None, "receivedAt": row.received_at.isoformat(),
    }


def journalpost_of(parsed: ParsedMail, *, tittel: str | None, today: date) -> tuple[dict[str, Any], list[Fil]]:
    """The incoming journalpost for a mail: the mail itself as hoveddokument, its parts as vedlegg."""
    parts: list[dict[str, Any]] = []
    for kind, addresses in (("EA", parsed.sender), ("EM", parsed.to), ("EK", parsed.cc)):
        parts += [{"korrespondanseparttype": kind, "korrespondansepartNavn": a.navn[:500],
                   "epostadresse": a.epost[:255]} for a in addresses]
    title = (tittel or parsed.subject or "(uten emne)")[:2000]
    body: dict[str, Any] = {"journalposttype": "I", "tittel": title, "mottattDato": today.isoformat(),
                            "korrespondansepart": parts,
                            "dokumentbeskrivelse": [{"fil": "epost", "tittel": title,
                                                     "tilknyttetRegistreringSom": "H"}]}
    if parsed.date is not None:
        body["dokumentetsDato"] = parsed.date.isoformat()
    files = [Fil("epost", "epost.eml", b"", "message/rfc822")]
    for index, vedlegg in enumerate(parsed.vedlegg, start=1):
        body["dokumentbeskrivelse"].append({"fil": f"vedlegg{index}", "tittel": vedlegg.filnavn[:2000],
                                            "tilknyttetRegistreringSom": "V"})
        files.append(Fil(f"vedlegg{index}", vedlegg.filnavn, vedlegg.innhold, vedlegg.media_type))
    return body, files


async def register(database: Database, journal: JournalClient, *, mail_id: UUID, saksmappe_id: UUID,
                   tittel: str | None, handled_by: str, today: date) -> Epost:
    async with database.unit_of_work() as session:
        row = await _new(session, mail_id)
        raw, digest = row.raw, row.sha256
    parsed = parse_mail(raw)
    body, files = journalpost_of(parsed, tittel=tittel, today=today)
    files[0] = Fil("epost", "epost.eml", raw, "message/rfc822")
    files = [f for f in files if f.innhold]  # the journal refuses an empty file
    named = {f.part for f in files}
    body["dokumentbeskrivelse"] = [d for d in body["dokumentbeskrivelse"] if d["fil"] in named]
    record = await journal.register_journalpost(saksmappe_id, body, files, idempotency_key=digest_key(f"epost:{digest}"))
    journalpost_id = UUID(str(record["systemID"]))
    if parsed.message_id:
        note = f"Message-ID: {parsed.message_id}" + (f"\nReferences: {' '.join(parsed.references)}"
                                                     if parsed.references else "")
        await journal.add_journalpost_merknad(journalpost_id, note)
    async with database.unit_of_work() as session:
        row = await _new(session, mail_id)
        row.state, row.journalpost_id, row.handled_by, row.handled_at = (
            MailState.REGISTERED, journalpost_id, handled_by, store.now())
        return row


async def reject(database: Database, *, mail_id: UUID, reason: str, handled_by: str) -> Epost:
    async with database.unit_of_work() as session:
        row = await _new(session, mail_id)
        row.state, row.reason, row.handled_by, row.handled_at = MailState.REJECTED, reason, handled_by, store.now()
        return row


async def forward(database: Database, *, mail_id: UUID, to: str, handled_by: str) -> Epost:
    async with database.unit_of_work() as session:
        row = await _new(session, mail_id)
        row.state, row.forwarded_to, row.handled_by, row.handled_at = (
            MailState.FORWARDED, to, handled_by, store.now())
        return row


async def _new(session: Any, mail_id: UUID) -> Epost:
    row = await store.get_mail(session, mail_id, for_update=True)
    if row is None:
        raise MailNotFound("No mail in the queue has this id.")
    if row.state != MailState.NEW:
        raise MailAlreadyHandled(f"The mail was already handled ({row.state}).", state=row.state)
    return row
