"""Fiks IO end to end on one machine: simulator → a real RabbitMQ → intake → journal → answer.

The simulator packs each message as a fagsystem does (ASiC-E, CMS envelope with OAEP) and
receives intake's answers over the send API. KS's validator cases pass as over HTTP; an
outage between archiving and ack ends in one journalpost and the same kvittering resent.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from fiksio_keys import key_pair
from intake_helpers import Wired, wire
from required import missing
from test_validator_cases import journalpost_message, mappe_message, replay

from arkiv5_intake.app import create_app
from arkiv5_intake.fiksio.simulator import (
    Konto,
    SimulatorState,
    create_fiks_io_simulator_app,
    deliver,
    wait_for_final,
)
from arkiv5_intake.settings import IntakeSettings
from arkiv5_kit.auth import ClientCredentials
from arkiv5_kit.maskinporten import MaskinportenToken, TokenError
from processes import free_port
from project import load_script

P = "no.ks.fiks.arkiv.v1."
INTAKE_KONTO = UUID("7c3e1f0a-5b2d-4e8f-9a61-2d4c8b0e9f13")
FAGSYSTEM_KONTO = UUID("2b1d8f6e-3c4a-4e21-9f0d-5a6b7c8d9e01")


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    script = load_script("rabbitmq_local")
    if not script.installed():
        missing("RabbitMQ (apt-get install rabbitmq-server)", state="not installed")
    server = script.RabbitServer(tmp_path_factory.mktemp("rabbit"), port=free_port()).start()
    try:
        yield server
    finally:
        server.stop()


class FiksIo:
    def __init__(self, wired: Wired, state: SimulatorState, url: str) -> None:
        self.wired, self.state, self.url = wired, state, url

    async def send(self, meldingstype: str, klient_melding_id: str, xml: bytes,
                   attachments: dict[str, bytes] | None = None, melding_id: UUID | None = None) -> list[dict[str, Any]]:
        files = {"melding.xml": xml, **(attachments or {})}
        sent = await deliver(self.state, self.url, meldingstype=meldingstype, klient_melding_id=klient_melding_id,
                             files=files, melding_id=melding_id)
        received = await wait_for_final(self.state, sent)
        return [{"meldingstype": r.meldingstype, "xml": r.xml} for r in received]


@pytest.fixture
async def fiks_io(tmp_path: Path, broker: Any) -> AsyncIterator[FiksIo]:
    intake, fagsystem = key_pair("intake"), key_pair("fagsystem")
    state = SimulatorState(intake=Konto(INTAKE_KONTO, intake.certificate_pem, intake.key),
                           fagsystem=Konto(FAGSYSTEM_KONTO, fagsystem.certificate_pem, fagsystem.key))
    simulator = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_fiks_io_simulator_app(state)),
                                  base_url="http://fiks-io")
    # A queue of its own per test: messages of another test never reach this intake.
    async for wired in wire(tmp_path, app_kwargs={"fiks_io_http": simulator}, fiks_io_enabled=True,
                            fiks_io_amqp_url=broker.url, fiks_io_konto_id=INTAKE_KONTO, fiks_io_retry_s=0.2,
                            fiks_io_private_key_pem=intake.key_pem.decode(),
                            fiks_io_certificate_pem=intake.certificate_pem.decode(),
                            fiks_io_send_url="http://fiks-io/fiks-io/api/v1/send",
                            fiks_io_katalog_url="http://fiks-io/fiks-io/katalog/api/v1",
                            fiks_io_maskinporten_token_url="http://fiks-io/maskinporten/token"):
        yield FiksIo(wired, state, broker.url)
    await simulator.aclose()


async def test_calls_to_fiks_io_carry_no_token_of_the_journal(tmp_path: Path) -> None:
    """Served on its own, intake's journal client signs every call with the journal's token;
    Fiks IO's send API and katalog take only the Maskinporten token the sender puts on each call,
    so they must not go through that client (its auth would replace the Maskinporten token)."""
    intake = key_pair("intake")
    app = create_app(IntakeSettings(
        var_dir=tmp_path, environment="test", token_url="http://access/token", client_id="intake",
        client_secret="secret", fiks_io_enabled=True, fiks_io_private_key_pem=intake.key_pem.decode(),
        fiks_io_certificate_pem=intake.certificate_pem.decode()))
    assert isinstance(app.state.journal.http.auth, ClientCredentials)
    sender = app.state.fiks_io_sender
    assert sender.http is not app.state.journal.http
    assert sender.http.auth is None
    fiks_io = httpx.MockTransport(lambda request: httpx.Response(200, json={"meldingId": "1"}))
    sender.http._transport = fiks_io  # what reaches Fiks IO: the Maskinporten token alone
    request = sender.http.build_request("POST", "http://fiks-io/send", headers={"Authorization": "Bearer mp"})
    sent = await sender.http.send(request)
    assert sent.request.headers["Authorization"] == "Bearer mp"
    await sender.http.aclose()
    await app.state.journal.http.aclose()


async def test_every_validator_case_through_fiks_io(fiks_io: FiksIo) -> None:
    await replay(fiks_io.wired, fiks_io.send)


async def journalposter_in(wired: Wired, kvittering_xml: str) -> int:
    from lxml import etree

    root = etree.fromstring(kvittering_xml.encode())
    journalpost_id = root.xpath("//*[local-name()='registreringKvittering']/*[local-name()='systemID']")[0].text
    response = await wired.journal_client.get(f"/journalposter/{journalpost_id}", headers=wired.journal_headers())
    case = response.json()["saksmappe"]
    listed = await wired.journal_client.get(f"/saksmapper/{case}/journalposter", headers=wired.journal_headers())
    return int(listed.json()["count"])


async def test_an_outage_between_archiving_and_ack_archives_once_and_resends_the_same_kvittering(
        fiks_io: FiksIo) -> None:
    await fiks_io.wired.send(P + "arkivering.arkivmelding.opprett", "sak", mappe_message("sak-io", "Test"), {})
    fiks_io.state.fail_kvitteringer = 2  # the kvittering fails twice: the message is delivered three times
    svar = await fiks_io.send(P + "arkivering.arkivmelding.opprett", "jp-io-1",
                              journalpost_message("sak-io", "jp-io-1", "Notat"))
    assert [s["meldingstype"] for s in svar] == [P + "arkivering.arkivmelding.opprett.mottatt",
                                                 P + "arkivering.arkivmelding.opprett.kvittering"]
    assert await journalposter_in(fiks_io.wired, str(svar[1]["xml"])) == 1
    # The fagsystem, having no kvittering in time, sends again with the same klientMeldingId.
    again = await fiks_io.send(P + "arkivering.arkivmelding.opprett", "jp-io-1",
                               journalpost_message("sak-io", "jp-io-1", "Notat"))
    assert again == svar
    assert await journalposter_in(fiks_io.wired, str(svar[1]["xml"])) == 1
    assert fiks_io.state.grants >= 1  # every answer went out with a Maskinporten token
    # The same klientMeldingId for another journalpost: refused naming the reuse, nothing archived.
    reused = await fiks_io.send(P + "arkivering.arkivmelding.opprett", "jp-io-1",
                                journalpost_message("sak-io", "jp-io-2", "Notat om garasje"))
    assert [s["meldingstype"] for s in reused] == [P + "feilmelding.ugyldigforespoersel"]
    assert "klientMeldingId was used before" in str(reused[0]["xml"])
    assert await journalposter_in(fiks_io.wired, str(svar[1]["xml"])) == 1


async def test_a_broker_restart_mid_stream_loses_nothing_and_archives_nothing_twice(tmp_path: Path) -> None:
    """Messages are published, the broker is stopped while intake works them and started again on
    the same data: every message is answered with a kvittering and archived exactly once."""
    script = load_script("rabbitmq_local")
    if not script.installed():
        missing("RabbitMQ (apt-get install rabbitmq-server)", state="not installed")
    own = script.RabbitServer(tmp_path / "own-rabbit", port=free_port()).start()
    intake, fagsystem = key_pair("intake"), key_pair("fagsystem")
    state = SimulatorState(intake=Konto(INTAKE_KONTO, intake.certificate_pem, intake.key),
                           fagsystem=Konto(FAGSYSTEM_KONTO, fagsystem.certificate_pem, fagsystem.key))
    simulator = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_fiks_io_simulator_app(state)),
                                  base_url="http://fiks-io")
    try:
        async for wired in wire(tmp_path, app_kwargs={"fiks_io_http": simulator}, fiks_io_enabled=True,
                                fiks_io_amqp_url=own.url, fiks_io_konto_id=INTAKE_KONTO, fiks_io_retry_s=0.2,
                                fiks_io_prefetch=4, fiks_io_private_key_pem=intake.key_pem.decode(),
                                fiks_io_certificate_pem=intake.certificate_pem.decode(),
                                fiks_io_send_url="http://fiks-io/fiks-io/api/v1/send",
                                fiks_io_katalog_url="http://fiks-io/fiks-io/katalog/api/v1",
                            fiks_io_maskinporten_token_url="http://fiks-io/maskinporten/token"):
            await wired.send(P + "arkivering.arkivmelding.opprett", "sak", mappe_message("sak-r", "Test"), {})
            ids = [await deliver(state, own.url, meldingstype=P + "arkivering.arkivmelding.opprett",
                                 klient_melding_id=f"r-{n}", files={"m.xml": journalpost_message(
                                     "sak-r", f"r-{n}", f"Notat {n}")}) for n in range(20)]
            while not state.received:  # intake is at work
                await asyncio.sleep(0.05)
            await asyncio.to_thread(own.stop)
            await asyncio.to_thread(own.start)
            finals = [await wait_for_final(state, melding_id, timeout_s=120) for melding_id in ids]
            assert all(f[-1].meldingstype == P + "arkivering.arkivmelding.opprett.kvittering" for f in finals)
            assert await journalposter_in(wired, str(finals[0][-1].xml)) == 20
    finally:
        await simulator.aclose()
        await asyncio.to_thread(own.stop)


async def test_intake_stopped_between_archiving_and_ack_answers_after_restart_with_one_journalpost(
        fiks_io: FiksIo, tmp_path: Path) -> None:
    from arkiv5_intake.app import create_app

    wired = fiks_io.wired
    await wired.send(P + "arkivering.arkivmelding.opprett", "sak", mappe_message("sak-k", "Test"), {})
    fiks_io.state.fail_kvitteringer = 1000  # archived, but the kvittering never goes out: no ack
    melding_id = await deliver(fiks_io.state, fiks_io.url, meldingstype=P + "arkivering.arkivmelding.opprett",
                               klient_melding_id="k-1", files={"m.xml": journalpost_message("sak-k", "k-1", "Notat")})
    while not fiks_io.state.answers_to(melding_id):  # …mottatt: intake has the message
        await asyncio.sleep(0.05)
    await asyncio.sleep(1)  # archived and retrying the kvittering
    settings = wired.intake.state.runtime.settings
    await wired.intake.state.runtime.stop()  # the message is still unacked
    fiks_io.state.fail_kvitteringer = 0
    restarted = create_app(settings, journal=wired.intake.state.journal, fiks_io_http=wired.intake.state.fiks_io_http)
    await restarted.state.runtime.start()
    try:
        answers = await wait_for_final(fiks_io.state, melding_id)
    finally:
        await restarted.state.runtime.stop()
    kvitteringer = [a for a in answers if a.meldingstype.endswith(".kvittering")]
    assert len(kvitteringer) == 1
    assert await journalposter_in(wired, str(kvitteringer[0].xml)) == 1


async def test_the_send_api_and_katalog_refuse_a_call_without_a_maskinporten_token_of_the_simulator() -> None:
    intake, fagsystem = key_pair("intake"), key_pair("fagsystem")
    state = SimulatorState(intake=Konto(INTAKE_KONTO, intake.certificate_pem, intake.key),
                           fagsystem=Konto(FAGSYSTEM_KONTO, fagsystem.certificate_pem, fagsystem.key))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_fiks_io_simulator_app(state)),
                                 base_url="http://fiks-io") as simulator:
        katalog = f"/fiks-io/katalog/api/v1/kontoer/{FAGSYSTEM_KONTO}/offentligNokkel"
        assert (await simulator.get(katalog)).status_code == 401
        assert (await simulator.get(katalog, headers={"Authorization": "Bearer made-up"})).status_code == 401
        assert (await simulator.post("/fiks-io/api/v1/send", files={"metadata": (None, "{}")})).status_code == 401
        token = MaskinportenToken(simulator, token_url="http://fiks-io/maskinporten/token",
                                  audience=state.maskinporten_audience, client_id="arkiv5-intake", scope="ks:fiks",
                                  private_key_pem=intake.key_pem.decode())
        headers = {"Authorization": f"Bearer {await token.get()}"}
        assert (await simulator.get(katalog, headers=headers)).status_code == 200
        wrong_scope = MaskinportenToken(simulator, token_url="http://fiks-io/maskinporten/token",
                                        audience=state.maskinporten_audience, client_id="arkiv5-intake",
                                        scope="ks:other", private_key_pem=intake.key_pem.decode())
        with pytest.raises(TokenError, match="400"):
            await wrong_scope.get()
