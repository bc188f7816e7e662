"""The Fiks Arkiv message handler: one message in, its answers out, the same answers for a repeat.

KS's message handling: validate; `…mottatt`; archive; `…kvittering` — or a feilmelding
(`ugyldigforespoersel` saying what is wrong, `ikkefunnet`, `serverfeil`). The answers of a
message are stored under (sender, klientMeldingId) before they are sent, so a repeated
message gets them again and archives nothing twice; a registration is also recorded under
its referanseEksternNoekkel with its kvittering, so the same record sent again in a new
message is answered as `Eksisterende`. A `serverfeil` is not stored: the sender's retry is
worked again. A klientMeldingId reused for a message with other content (its digest differs)
is refused with `ugyldigforespoersel`, never answered with the first message's answers. Both
transports (HTTP, Fiks IO) call `handle`.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from lxml import etree

from arkiv5_kit.db import Database

from .. import store
from ..errors import FiksFeil, IkkeFunnet, Ugyldig
from ..journal_client import Fil, JournalClient, JournalNotFound, JournalRefused, JournalUnavailable, digest_key
from . import answers, innsyn, mapping
from .answers import Svar
from .xml import InvalidXml, find, findall, parse, text, validate, xsi_type

log = logging.getLogger(__name__)

MAPPE_KEYS_KEPT = 10_000  # external mappe keys remembered per process (forgotten all at once when full)
REUSED_KLIENT_MELDING_ID = (
    "this klientMeldingId was used before for a message with other content; a new message needs a new klientMeldingId"
)


@dataclass(frozen=True)
class Melding:
    meldingstype: str
    klient_melding_id: str
    avsender: str
    payload: bytes
    attachments: dict[str, bytes] = field(default_factory=dict)

    def digest(self) -> str:
        """SHA-256 of what the message says: its type, its XML and its attachments by file name."""
        whole = hashlib.sha256()
        for part in (
            self.meldingstype.encode(),
            self.payload,
            *(
                f"{name}\x00{hashlib.sha256(data).hexdigest()}".encode()
                for name, data in sorted(self.attachments.items())
            ),
        ):
            # Each part's length first, so that no two different messages hash the same bytes.
            whole.update(len(part).to_bytes(8, "big"))
            whole.update(part)
        return whole.hexdigest()


@dataclass(frozen=True)
class Handled:
    melding_id: UUID | None
    svar: list[Svar]
    sent_count: int = 0
    sent_melding_id: str | None = None

    def first_unsent(self, melding_id: str) -> int:
        """Where sending resumes for this Fiks IO message (from the start for a new message id)."""
        return self.sent_count if self.sent_melding_id == melding_id else 0


class FiksArkivHandler:
    def __init__(
        self,
        *,
        database: Database,
        journal: JournalClient,
        default_enhet: UUID,
        sok_max_hits: int,
        system_name: str = "Arkiv5",
    ) -> None:
        self.database = database
        self.journal = journal
        self.default_enhet = default_enhet
        self.sok_max_hits = sok_max_hits
        self.system_name = system_name
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        # A mappe's external key names one saksmappe for good (keys are only ever added), so the
        # lookup every journalpost of a case repeats is answered from memory after the first.
        self._mappe_ids: dict[tuple[str, str], UUID] = {}

    async def stored(self, melding: Melding) -> Handled | None:
        """The answers a message already got (a repeat, or a redelivery after a crash).

        A klientMeldingId reused for other content gets only an `ugyldigforespoersel` (not
        stored: the first message keeps its answers, and nothing is archived).
        """
        async with self.database.unit_of_work() as session:
            row = await store.get_melding(
                session, avsender=melding.avsender, klient_melding_id=melding.klient_melding_id
            )
            if row is None:
                return None
            if row.digest is not None and row.digest != melding.digest():
                return Handled(None, [answers.feilmelding(answers.UGYLDIG, REUSED_KLIENT_MELDING_ID)])
            return Handled(
                row.id, [Svar(str(s["meldingstype"]), s["xml"]) for s in row.svar], row.sent_count, row.sent_melding_id
            )

    def receivable(self, melding: Melding) -> etree._Element | None:
        """The parsed message when it passes its XSD, so `…mottatt` may be sent before it is worked."""
        if melding.meldingstype not in answers.ARKIVERING:
            return None
        try:
            root = parse(melding.payload)
            validate(root, melding.meldingstype)
        except InvalidXml:
            return None
        return root

    async def handle(
        self,
        melding: Melding,
        *,
        on_received: Callable[[], Awaitable[None]] | None = None,
        received_by: str | None = None,
    ) -> Handled:
        """The message's answers: the stored ones for a repeat, else worked and stored.

        `on_received` (Fiks IO) is awaited once a new message passes its XSD and before the
        archive is touched — it sends `…mottatt`, which is then stored as already sent to the
        Fiks IO message `received_by`, in the same transaction as the answers.
        """
        # One worker per message at a time in this process: a redelivery (after a broker or
        # connection loss) can arrive while the first delivery is still archiving.
        key = f"{melding.avsender}\x00{melding.klient_melding_id}"
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        async with lock:
            if (stored := await self.stored(melding)) is not None:
                return stored
            root = self.receivable(melding) if on_received is not None else None
            if root is not None and on_received is not None:
                await on_received()
            return await self._handle(melding, root, received_by if root is not None else None)

    async def _handle(self, melding: Melding, root: etree._Element | None, received_by: str | None) -> Handled:
        # The external keys of what was registered are stored with the answers, in one transaction.
        pending_keys: list[dict[str, Any]] = []
        svar = await self.answer(melding, root, pending_keys)
        if svar and svar[-1].meldingstype == answers.SERVERFEIL:
            return Handled(None, svar)
        sent = 1 if received_by is not None and svar[0].meldingstype.endswith(".mottatt") else 0
        async with self.database.unit_of_work() as session:
            for fields in pending_keys:
                await store.add_key_if_absent(session, **fields)
            row = await store.save_melding(
                session,
                avsender=melding.avsender,
                klient_melding_id=melding.klient_melding_id,
                meldingstype=melding.meldingstype,
                digest=melding.digest(),
                svar=[s.as_json() for s in svar],
                sent_count=sent,
                sent_melding_id=received_by if sent else None,
            )
            if row.digest is not None and row.digest != melding.digest():  # another process stored it first
                return Handled(None, [answers.feilmelding(answers.UGYLDIG, REUSED_KLIENT_MELDING_ID)])
            return Handled(
                row.id, [Svar(str(s["meldingstype"]), s["xml"]) for s in row.svar], row.sent_count, row.sent_melding_id
            )

    async def mark_sent(self, melding_id: UUID, count: int, to: str) -> None:
        async with self.database.unit_of_work() as session:
            await store.mark_sent(session, melding_id, count, to)

    async def answer(self, melding: Melding, validated: etree._Element | None = None,
                     pending_keys: list[dict[str, Any]] | None = None) -> list[Svar]:
        """The answers in the order they are sent (not stored here); `validated`: the message already
        parsed and checked against its XSD (by `receivable`), so it is not done twice. `pending_keys`: where
        the external keys of a new registrering go, for the caller to store with the answers (else
        they are stored at once)."""
        kind = melding.meldingstype
        if kind not in answers.SUPPORTED:
            return [answers.feilmelding(answers.UGYLDIG, "unknown or unsupported Fiks-Meldingstype")]
        root = validated
        if root is None:
            try:
                root = parse(melding.payload)
                validate(root, kind)
            except InvalidXml as problem:
                return [answers.feilmelding(answers.UGYLDIG, f"the message breaks {kind}.xsd: {problem}")]
        received = [answers.mottatt(kind)] if kind in answers.ARKIVERING else []
        try:
            return received + [await self._dispatch(kind, root, melding, pending_keys)]
        except Ugyldig as problem:
            return received + [answers.feilmelding(answers.UGYLDIG, problem.melding)]
        except IkkeFunnet as problem:
            return received + [answers.feilmelding(answers.IKKEFUNNET, problem.melding)]
        except JournalRefused as refused:
            return received + [answers.feilmelding(answers.UGYLDIG, f"the archive refused: {refused.detail}")]
        except (JournalUnavailable, FiksFeil) as exc:
            log.warning("fiks arkiv message failed", extra={"meldingstype": kind, "error_type": type(exc).__name__})
            return received + [answers.feilmelding(answers.SERVERFEIL, "the archive cannot answer now; send again")]
        except Exception as exc:
            log.error(
                "fiks arkiv message crashed",
                exc_info=exc,
                extra={"meldingstype": kind, "error_type": type(exc).__name__},
            )
            return received + [answers.feilmelding(answers.SERVERFEIL, "internal error in the archive")]

    async def _dispatch(self, kind: str, root: etree._Element, melding: Melding,
                        pending_keys: list[dict[str, Any]] | None) -> Svar:
        if kind == answers.OPPRETT:
            return answers.kvittering(kind, await self._opprett(root, melding, pending_keys))
        if kind == answers.OPPDATER:
            await self._oppdater(root)
            return answers.kvittering(kind)
        if kind == answers.AVSKRIVNING_OPPRETT:
            journalpost_id = await self._registrering(find(root, "referanseTilJournalpost"))
            body = mapping.avskrivning(root)
            await self._journal(self.journal.avskriv(journalpost_id, body))
            return answers.kvittering(kind)
        if kind == answers.AVSKRIVNING_SLETT:
            # The journal's avskrivninger belong to the journalpost, not to one korrespondansepart, so
            # korrespondansepartID does not narrow which: the journalpost's sign-offs are deleted.
            journalpost_id = await self._registrering(find(root, "referanseTilJournalpost"))
            record = await self._journal(self.journal.get_journalpost(journalpost_id))
            avskrivninger = [UUID(str(a["systemID"])) for a in record.get("avskrivning") or []]
            if not avskrivninger:
                raise IkkeFunnet("the journalpost has no avskrivning")
            for avskrivning_id in avskrivninger:
                await self._journal(self.journal.slett_avskrivning(journalpost_id, avskrivning_id))
            return answers.kvittering(kind)
        if kind == answers.DOKUMENTOBJEKT_OPPRETT:
            return answers.kvittering(kind, await self._dokumentobjekt(root, melding))
        if kind == answers.REGISTRERING_HENT:
            journalpost_id = await self._registrering(find(root, "referanseTilRegistrering"))
            record = await self._journal(self.journal.get_journalpost(journalpost_id))
            keys = await self._keys("registrering", journalpost_id)
            return Svar(f"{kind}.resultat", innsyn.registrering_hent_resultat(record, keys))
        if kind == answers.MAPPE_HENT:
            saksmappe_id = await self._mappe(find(root, "referanseTilMappe"))
            record = await self._journal(self.journal.get_saksmappe(saksmappe_id))
            keys = await self._keys("mappe", saksmappe_id)
            return Svar(f"{kind}.resultat", innsyn.mappe_hent_resultat(record, keys))
        if kind == answers.SOK:
            return await innsyn.sok(
                root, journal=self.journal, keys=self._keys, max_hits=self.sok_max_hits, system=self.system_name
            )
        raise Ugyldig("unsupported message type")

    # --- arkivmelding opprett ---------------------------------------------------------

    async def _opprett(self, root: etree._Element, melding: Melding,
                       pending_keys: list[dict[str, Any]] | None) -> str:
        mappe_el = find(root, "mappe")
        registrering_el = find(root, "registrering")
        antall = text(root, "antallFiler")
        if antall is not None and antall.isdigit() and int(antall) != len(melding.attachments):
            raise Ugyldig(f"antallFiler says {antall} files; the message carries {len(melding.attachments)}")
        mappe_kvittering = None
        mappe_id: UUID | None = None
        mappe_key: tuple[str, str] | None = None
        if mappe_el is not None:
            mappe_key = mapping.ekstern_noekkel(mappe_el)
            mappe_id, record, opprettet = await self._saksmappe(mappe_el, mappe_key, melding)
            mappe_kvittering = {
                "record": record,
                "opprettet": opprettet,
                "fagsystem": mappe_key[0] if mappe_key else None,
                "noekkel": mappe_key[1] if mappe_key else None,
            }
        registrering_kvittering = None
        if registrering_el is not None:
            if xsi_type(registrering_el) not in ("journalpost", None):
                raise Ugyldig(
                    "this archive registers journalposter (xsi:type journalpost), not arkivnotat or a bare registrering"
                )
            key = mapping.ekstern_noekkel(registrering_el)
            if key is not None:
                async with self.database.unit_of_work() as session:
                    existing = await store.get_key(session, "registrering", *key)
                if existing is not None and existing.kvittering is not None:
                    if mappe_kvittering is None:
                        return existing.kvittering.replace(
                            "<opprettetEllerEksisterende>Opprettet<", "<opprettetEllerEksisterende>Eksisterende<"
                        )
                    return _with_mappe(existing.kvittering, mappe_kvittering)
            forelder = find(registrering_el, "referanseForelderMappe")
            if forelder is not None and (
                mappe_key is None or mapping.ekstern_noekkel(forelder) != mappe_key or mappe_id is None
            ):
                mappe_id = await self._mappe(forelder)
            if mappe_id is None:
                raise Ugyldig("a journalpost needs referanseForelderMappe or a mappe in the same arkivmelding")
            left_out: list[str] = []
            body = mapping.journalpost(registrering_el, left_out)
            entries, files = mapping.dokumentbeskrivelser(registrering_el, melding.attachments)
            if entries:
                body["dokumentbeskrivelse"] = entries
            idempotency = digest_key(
                f"fiks-arkiv:registrering:{key[0]}:{key[1]}"
                if key
                else f"fiks-arkiv:melding:{melding.avsender}:{melding.klient_melding_id}"
            )
            record = await self._journal(
                self.journal.register_journalpost(mappe_id, body, [Fil(*f) for f in files], idempotency_key=idempotency)
            )
            if left_out:
                # The record stands without the identifiers the archive cannot keep; the remark says which.
                await self._journal(
                    self.journal.add_journalpost_merknad(UUID(record["systemID"]), "Fiks Arkiv: " + "; ".join(left_out))
                )
            registrering_kvittering = {
                "record": record,
                "opprettet": True,
                "fagsystem": key[0] if key else None,
                "noekkel": key[1] if key else None,
            }
            xml = answers.arkivmelding_kvittering(mappe=None, registrering=registrering_kvittering)
            journalpost_id = UUID(record["systemID"])
            new_keys: list[dict[str, Any]] = []
            if key is not None:
                new_keys.append({
                    "kind": "registrering", "fagsystem": key[0], "noekkel": key[1], "journal_id": journalpost_id,
                    "parent_id": mappe_id, "aar": record.get("journalaar"),
                    "sekvensnummer": record.get("journalsekvensnummer"), "kvittering": xml,
                })
            for beskrivelse, dokument in zip(
                findall(registrering_el, "dokumentbeskrivelse"), record.get("dokumentbeskrivelse") or [], strict=False
            ):
                dkey = mapping.ekstern_noekkel(beskrivelse)
                if dkey is not None:
                    new_keys.append({
                        "kind": "dokumentbeskrivelse", "fagsystem": dkey[0], "noekkel": dkey[1],
                        "journal_id": UUID(dokument["systemID"]), "parent_id": journalpost_id,
                    })
            if pending_keys is not None:
                pending_keys += new_keys
            elif new_keys:
                async with self.database.unit_of_work() as session:
                    for fields in new_keys:
                        await store.add_key_if_absent(session, **fields)
        return answers.arkivmelding_kvittering(mappe=mappe_kvittering, registrering=registrering_kvittering)

    async def _saksmappe(
        self, mappe_el: etree._Element, key: tuple[str, str] | None, melding: Melding
    ) -> tuple[UUID, dict[str, object], bool]:
        if xsi_type(mappe_el) not in ("saksmappe", None):
            raise Ugyldig("this archive keeps saksmapper (xsi:type saksmappe)")
        if key is not None:
            async with self.database.unit_of_work() as session:
                existing = await store.get_key(session, "mappe", *key)
            if existing is not None:
                record = await self._journal(self.journal.get_saksmappe(existing.journal_id))
                return existing.journal_id, record, False
        body = mapping.saksmappe(mappe_el, default_enhet=self.default_enhet)
        idempotency = digest_key(
            f"fiks-arkiv:mappe:{key[0]}:{key[1]}"
            if key
            else f"fiks-arkiv:melding:{melding.avsender}:{melding.klient_melding_id}:mappe"
        )
        record = await self._journal(self.journal.create_saksmappe(body, idempotency_key=idempotency))
        saksmappe_id = UUID(str(record["systemID"]))
        if key is not None:
            async with self.database.unit_of_work() as session:
                await store.put_key(
                    session,
                    kind="mappe",
                    fagsystem=key[0],
                    noekkel=key[1],
                    journal_id=saksmappe_id,
                    aar=_int(record.get("saksaar")),
                    sekvensnummer=_int(record.get("sakssekvensnummer")),
                )
        return saksmappe_id, record, True

    # --- arkivmelding oppdater --------------------------------------------------------

    async def _oppdater(self, root: etree._Element) -> None:
        for oppdatering in findall(root, "mappeOppdateringer"):
            saksmappe_id = await self._mappe(find(oppdatering, "referanseTilMappe"))
            patch: dict[str, object] = {}
            for name in ("tittel", "offentligTittel"):
                if (value := text(oppdatering, name)) is not None:
                    patch[name] = value
            skjerming = find(oppdatering, "skjermingOppdateringer")
            if skjerming is not None:
                if find(skjerming, "slett") is not None and find(skjerming, "oppdatering") is None:
                    patch["skjerming"] = None
                elif (ny := find(skjerming, "oppdatering")) is not None:
                    tilgang = mapping.known(mapping.Tilgangsrestriksjon, mapping.kode(ny, "tilgangsrestriksjon"))
                    if tilgang is None:
                        raise Ugyldig("skjermingOppdateringer: tilgangsrestriksjon is not a code this archive knows")
                    metadata = [
                        m
                        for m in (
                            mapping.known(mapping.SkjermingMetadata, text(e, "kode"))
                            for e in findall(ny, "skjermingMetadata")
                        )
                        if m
                    ]
                    patch["skjerming"] = {
                        "tilgangsrestriksjon": tilgang,
                        "skjermingshjemmel": text(ny, "skjermingshjemmel"),
                        "skjermingMetadata": metadata or ["TMO"],
                    }
            notes = []
            if (ansvarlig := find(oppdatering, "saksansvarlig")) is not None:
                # Fiks Arkiv names the person; the journal holds person ids: kept as a remark on the case.
                navn = text(ansvarlig, "navn") or text(ansvarlig, "initialer")
                notes.append(f"Saksansvarlig i fagsystemet: {navn}" if navn else "Saksansvarlig endret i fagsystemet")
            klassifikasjon = find(oppdatering, "klassifikasjonOppdateringer")
            if klassifikasjon is not None:
                ny_klasser = [
                    f"{text(k, 'klassifikasjonssystemID')}: {text(k, 'klasseID')}"
                    for k in findall(klassifikasjon, "ny")
                ]
                slettet = [
                    f"{text(k, 'referanseTilKlassifikasjon/klassifikasjonssystemID')}: "
                    f"{text(k, 'referanseTilKlassifikasjon/klasseID')}"
                    for k in findall(klassifikasjon, "slett")
                ]
                notes.append(
                    "Klassifikasjon i fagsystemet"
                    + (f"; ny: {', '.join(ny_klasser)}" if ny_klasser else "")
                    + (f"; slettet: {', '.join(slettet)}" if slettet else "")
                )
            if patch:
                await self._journal(self.journal.correct_saksmappe(saksmappe_id, patch))
            for note in notes:
                await self._journal(self.journal.add_saksmappe_merknad(saksmappe_id, note))
            status = mapping.kode(oppdatering, "saksstatus")
            if status is not None:
                await self._saksstatus(saksmappe_id, status)
        for oppdatering in findall(root, "registreringOppdateringer"):
            journalpost_id = await self._registrering(find(oppdatering, "referanseTilRegistrering"))
            patch = {}
            for name in ("tittel", "offentligTittel"):
                if (value := text(oppdatering, name)) is not None:
                    patch[name] = value
            for name in ("dokumentetsDato", "mottattDato", "forfallsdato"):
                if (value := mapping.date_part(text(oppdatering, name))) is not None:
                    patch[name] = value
            if patch:
                await self._journal(self.journal.correct_journalpost(journalpost_id, patch))
            new_key = mapping.ekstern_noekkel(oppdatering)
            if new_key is not None:
                record = await self._journal(self.journal.get_journalpost(journalpost_id))
                async with self.database.unit_of_work() as session:
                    taken = await store.get_key(session, "registrering", *new_key)
                    if taken is not None and taken.journal_id != journalpost_id:
                        raise Ugyldig("referanseEksternNoekkel already names another registrering")
                    await store.put_key(
                        session,
                        kind="registrering",
                        fagsystem=new_key[0],
                        noekkel=new_key[1],
                        journal_id=journalpost_id,
                        parent_id=_uuid_or_none(record.get("saksmappe")),
                        aar=_int(record.get("journalaar")),
                        sekvensnummer=_int(record.get("journalsekvensnummer")),
                    )

    async def _saksstatus(self, saksmappe_id: UUID, status: str) -> None:
        record = await self._journal(self.journal.get_saksmappe(saksmappe_id))
        current = (record.get("saksstatus") or {}).get("kode")
        if status == current:
            return
        closed = current in ("A", "U", "S")
        if status in ("A", "U", "F", "S"):
            if closed:
                # Another closing status on a closed case (KS's validator: A, then U): reopen, then close
                # again with the status asked for. A retry after a failure between the two finds it open.
                await self._reopen(saksmappe_id, current, status)
            await self._journal(self.journal.close_saksmappe(saksmappe_id, status))
            return
        if status in ("B", "R") and closed:
            await self._reopen(saksmappe_id, current, status)
            return
        raise Ugyldig(f"this archive cannot set saksstatus {status} on a saksmappe in status {current}")

    async def _reopen(self, saksmappe_id: UUID, current: str | None, asked: str) -> None:
        """Reopens a closed case when the journal lets intake do it.

        The journal decides (policy `saksmappe.closed`): the archive's routine leaves a correction
        of a closed case to the archive service (the arkivansvarlig closes cases in the archive; a
        fagsystem's staff tell it), so a fagsystem's message is refused with a feilmelding that
        says what was asked, why not, and who can do it (docs/intake.md).
        """
        try:
            await self._journal(self.journal.reopen_saksmappe(saksmappe_id))
        except JournalRefused as refused:
            if refused.status != 403:
                raise
            raise Ugyldig(
                f"saksstatus {asked} was not set: the saksmappe is closed (saksstatus {current}), and changing the "
                "status of a closed case reopens it, which only the archive service does (arkivansvarlig), not a "
                f"fagsystem; ask the archive service to reopen the case, then send a new message. "
                f"The archive refused: {refused.detail}"
            ) from None

    # --- dokumentobjekt opprett -------------------------------------------------------

    async def _dokumentobjekt(self, root: etree._Element, melding: Melding) -> str:
        referanse = find(root, "referanseTilDokumentbeskrivelse")
        dokumentbeskrivelse_id = await self._dokumentbeskrivelse(referanse)
        objekt = find(root, "dokumentobjekt")
        fil = text(objekt, "referanseDokumentfil")
        if fil is None or fil not in melding.attachments:
            raise Ugyldig("dokumentobjekt: referanseDokumentfil names no attached file")
        filnavn = text(objekt, "filnavn") or fil
        media_type = mapping.mimetypes.guess_type(filnavn)[0] or "application/octet-stream"
        result = await self._journal(
            self.journal.add_version(dokumentbeskrivelse_id, Fil("fil", filnavn, melding.attachments[fil], media_type))
        )
        newest = max(result.get("dokumentobjekt") or [{}], key=lambda o: o.get("versjonsnummer", 0))
        if "systemID" not in newest:
            raise FiksFeil("the archive answered without the new dokumentobjekt")
        return answers.dokumentobjekt_kvittering(newest)

    async def _dokumentbeskrivelse(self, referanse: etree._Element | None) -> UUID:
        if referanse is None:
            raise Ugyldig("referanseTilDokumentbeskrivelse is missing")
        if (system_id := text(referanse, "systemID")) is not None:
            return mapping.as_uuid(system_id, "referanseTilDokumentbeskrivelse/systemID")
        key = mapping.ekstern_noekkel(referanse)
        if key is None:
            raise Ugyldig("referanseTilDokumentbeskrivelse needs systemID or referanseEksternNoekkel")
        async with self.database.unit_of_work() as session:
            row = await store.get_key(session, "dokumentbeskrivelse", *key)
            registrering = None if row else await store.get_key(session, "registrering", *key)
        if row is not None:
            return row.journal_id
        if registrering is None:
            raise IkkeFunnet("no dokumentbeskrivelse or registrering has this referanseEksternNoekkel")
        # The key of a registrering names its hoveddokument.
        record = await self._journal(self.journal.get_journalpost(registrering.journal_id))
        dokumenter = sorted(record.get("dokumentbeskrivelse") or [], key=lambda d: d.get("dokumentnummer", 0))
        if not dokumenter:
            raise IkkeFunnet("the registrering has no dokumentbeskrivelse")
        return UUID(dokumenter[0]["systemID"])

    # --- references -------------------------------------------------------------------

    async def _mappe(self, referanse: etree._Element | None) -> UUID:
        if referanse is None:
            raise Ugyldig("the reference to the mappe is missing")
        if (system_id := text(referanse, "systemID")) is not None:
            saksmappe_id = mapping.as_uuid(system_id, "systemID of the mappe")
            await self._journal(self.journal.get_saksmappe(saksmappe_id))
            return saksmappe_id
        if (key := mapping.ekstern_noekkel(referanse)) is not None:
            if (known := self._mappe_ids.get(key)) is not None:
                return known
            async with self.database.unit_of_work() as session:
                row = await store.get_key(session, "mappe", *key)
            if row is None:
                raise IkkeFunnet("no mappe has this referanseEksternNoekkel")
            if len(self._mappe_ids) >= MAPPE_KEYS_KEPT:
                self._mappe_ids.clear()
            self._mappe_ids[key] = row.journal_id
            return row.journal_id
        saksnummer = find(referanse, "saksnummer")
        if saksnummer is not None:
            aar, nummer = _int(text(saksnummer, "saksaar")), _int(text(saksnummer, "sakssekvensnummer"))
            if aar is None or nummer is None:
                raise Ugyldig("saksnummer needs saksaar and sakssekvensnummer")
            async with self.database.unit_of_work() as session:
                row = await store.key_by_numbers(session, "mappe", aar, nummer)
            if row is None:
                raise IkkeFunnet("no saksmappe archived through Fiks Arkiv has this saksnummer")
            return row.journal_id
        raise Ugyldig("the reference to the mappe needs systemID, referanseEksternNoekkel or saksnummer")

    async def _registrering(self, referanse: etree._Element | None) -> UUID:
        if referanse is None:
            raise Ugyldig("the reference to the registrering is missing")
        system_id = text(referanse, "systemID")
        registrerings_id = text(referanse, "registreringsID")
        if system_id is None and registrerings_id is not None and "/" not in registrerings_id:
            system_id = registrerings_id
        if system_id is not None:
            journalpost_id = mapping.as_uuid(system_id, "systemID of the registrering")
            await self._journal(self.journal.get_journalpost(journalpost_id))
            return journalpost_id
        if (key := mapping.ekstern_noekkel(referanse)) is not None:
            async with self.database.unit_of_work() as session:
                row = await store.get_key(session, "registrering", *key)
            if row is None:
                raise IkkeFunnet("no registrering has this referanseEksternNoekkel")
            return row.journal_id
        nummer = find(referanse, "journalnummer")
        if nummer is not None:
            aar, sekvens = _int(text(nummer, "journalaar")), _int(text(nummer, "journalsekvensnummer"))
        elif registrerings_id is not None:
            left, _, right = registrerings_id.partition("/")
            aar, sekvens = _int(left), _int(right)
        else:
            raise Ugyldig(
                "the reference to the registrering needs systemID, referanseEksternNoekkel, "
                "registreringsID or journalnummer"
            )
        if aar is None or sekvens is None:
            raise Ugyldig("journalnummer needs journalaar and journalsekvensnummer")
        async with self.database.unit_of_work() as session:
            row = await store.key_by_numbers(session, "registrering", aar, sekvens)
        if row is None:
            raise IkkeFunnet("no journalpost archived through Fiks Arkiv has this journalnummer")
        return row.journal_id

    async def _keys(self, kind: str, journal_id: UUID) -> list[tuple[str, str]]:
        async with self.database.unit_of_work() as session:
            return [(row.fagsystem, row.noekkel) for row in await store.keys_of(session, kind, journal_id)]

    @staticmethod
    async def _journal(call):  # type: ignore[no-untyped-def]
        try:
            return await call
        except JournalNotFound:
            raise IkkeFunnet("the archive has no such record") from None


def _with_mappe(kvittering: str, mappe: dict[str, object]) -> str:
    """A stored registrering kvittering, answered again together with this message's mappe."""
    root = parse(kvittering.encode())
    registrering = find(root, "registreringKvittering")
    fresh = parse(answers.arkivmelding_kvittering(mappe=mappe, registrering=None).encode())
    if registrering is not None:
        status = find(registrering, "opprettetEllerEksisterende")
        if status is not None:
            status.text = "Eksisterende"
        fresh.append(registrering)
    return etree.tostring(fresh, encoding="unicode")


def _int(value: object) -> int | None:
    try:
        return int(str(value)) if value is not None else None
    except ValueError:
        return None


def _uuid_or_none(value: object) -> UUID | None:
    try:
        return UUID(str(value)) if value is not None else None
    except ValueError:
        return None
