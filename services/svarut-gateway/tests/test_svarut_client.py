"""The SvarUt client against the simulator; both validate against KS's OpenAPI files."""

from __future__ import annotations

import asyncio
import random
import uuid

import httpx
import pytest
from svarut_helpers import address, make_fnr, make_orgnr, make_svarut_client, material_for, rsa_key

from arkiv5_svarut_gateway.domain.addressing import Route, route
from arkiv5_svarut_gateway.domain.forsendelse import Document, build_forsendelse
from arkiv5_svarut_gateway.domain.material import Recipient
from arkiv5_svarut_gateway.simulator import Faults, SimulatorConfig, create_simulator_app
from arkiv5_svarut_gateway.svarut import spec
from arkiv5_svarut_gateway.svarut.breaker import CircuitBreaker
from arkiv5_svarut_gateway.svarut.client import Ambiguous, NotSent, SendRefused
from arkiv5_svarut_gateway.testing import minimal_pdf

RNG = random.Random(11)


def letter(kind: str, ref: str | None = None, **recipient_values: object):  # type: ignore[no-untyped-def]
    values = {"person": {"fodselsnummer": make_fnr(RNG)}, "organisasjon": {"organisasjonsnummer": make_orgnr(RNG)},
              "print": {"postadresse": address()}}[kind]
    values.update(recipient_values)
    recipient = Recipient(korrespondansepart_id=uuid.uuid4(), navn="Kari Nordmann", **values)  # type: ignore[arg-type]
    material, _ = material_for([recipient])
    decided = route(recipient, screened=False)
    assert isinstance(decided, Route)
    docs = [Document("Vedtak.pdf", minimal_pdf()), Document("Vedlegg.pdf", minimal_pdf("Vedlegg"))]
    return build_forsendelse(material=material, navn="Kari Nordmann", route=decided, documents=docs,
                             ekstern_referanse=ref or str(uuid.uuid4()), avgivende_system="Arkiv5")


@pytest.mark.parametrize("kind", ["person", "organisasjon", "print"])
async def test_each_channel_is_accepted_counted_found_and_tracked_to_a_terminal_status(
    kind: str, asgi_http: httpx.AsyncClient, simulator_app
) -> None:
    sim = simulator_app.state.simulator
    client = make_svarut_client(asgi_http)
    f = letter(kind, ref="ref-" + kind)
    svarut_id = await client.send(f.channel.value, f.metadata, f.files)
    assert sim.deliveries["ref-" + kind] == 1 and sim.rejected == []
    assert await client.lookup("ref-" + kind) == [svarut_id]
    assert await client.lookup("unknown-ref") == []
    first = (await client.statuses([svarut_id]))[0]
    assert first.status == "MOTTATT"
    assert (await client.statuses([svarut_id]))[0].status == "MOTTATT"  # time stands still
    sim.config.clock.advance(1.0)
    assert (await client.statuses([svarut_id]))[0].status == "AKSEPTERT"
    sim.config.clock.advance(10.0)
    final = (await client.statuses([svarut_id]))[0]
    assert final.status in {"LEVERT_SDP", "LEST", "PRINTET"}
    assert final.changed_at > first.changed_at


async def test_organisation_forsendelse_carries_noark_metadata_valid_against_ks_schema() -> None:
    f = letter("organisasjon")
    meta = f.metadata["metadataFraAvleverendeSystem"]
    assert (meta["saksaar"], meta["sakssekvensnummer"], meta["journalpostnummer"]) == (2026, 12, 3)
    assert meta["journaldato"].startswith("2026-11-20T00:00:00+01:00")
    spec.validate_forsendelse("organisasjon", f.metadata)


async def test_the_client_refuses_to_send_what_breaks_ks_schema(asgi_http: httpx.AsyncClient, simulator_app) -> None:
    f = letter("person")
    f.metadata["tittel"] = ""
    with pytest.raises(spec.SchemaViolation, match="tittel"):
        await make_svarut_client(asgi_http).send("person", f.metadata, f.files)
    assert simulator_app.state.simulator.calls["send"] == 0


async def test_simulator_answers_invalid_requests_with_ks_error_bodies(asgi_http: httpx.AsyncClient, simulator_app) -> None:
    client = make_svarut_client(asgi_http)
    f = letter("person")
    f.metadata["mottaker"]["digitalId"] = "12345678901"  # right length, wrong checksum
    with pytest.raises(SendRefused) as refused:
        await client.send("person", f.metadata, f.files)
    assert (refused.value.status, refused.value.code) == (400, "UGYLDIG_DIGITAL_ID")

    headers = await client._headers()
    url = f"/api/v3/kontoer/{simulator_app.state.simulator.config.konto_id}/forsendelser/print"
    response = await asgi_http.post(url, headers=headers, files=[("forsendelse", (None, b'{"tittel": 5}', "application/json"))])
    assert response.status_code == 400
    spec.validate_error(response.json())
    assert response.json()["errorCode"] == "VALIDERINGSFEIL"


async def test_files_must_match_dokumenter_in_order(asgi_http: httpx.AsyncClient, simulator_app) -> None:
    client = make_svarut_client(asgi_http)
    f = letter("print")
    headers = await client._headers()
    import json
    parts = [("forsendelse", (None, json.dumps(f.metadata).encode(), "application/json"))]
    parts += [("dokumenter", (d.filnavn, d.content, d.mime_type)) for d in reversed(f.files)]
    url = f"/api/v3/kontoer/{simulator_app.state.simulator.config.konto_id}/forsendelser/print"
    response = await asgi_http.post(url, headers=headers, files=parts)
    assert response.status_code == 400 and "rekkefølge" in response.json()["message"]


async def test_maskinporten_grant_must_be_signed_by_the_registered_key() -> None:
    _, public = rsa_key()
    config = SimulatorConfig(maskinporten_public_key_pem=public, maskinporten_client_id="arkiv5-test")
    app = create_simulator_app(config)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim") as http:
        good = make_svarut_client(http, config=config)
        f = letter("print")
        await good.send("print", f.metadata, f.files)
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        other = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
        bad = make_svarut_client(http, config=config, private_key_pem=other)
        with pytest.raises(NotSent, match="Maskinporten answered 400"):
            await bad.send("print", f.metadata, f.files)
    assert app.state.simulator.deliveries[f.metadata["eksternReferanse"]] == 1


async def test_wrong_integration_password_is_not_sent() -> None:
    app = create_simulator_app(SimulatorConfig(integrasjon_passord="something-else"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim") as http:
        f = letter("print")
        with pytest.raises(NotSent, match="401"):
            await make_svarut_client(http).send("print", f.metadata, f.files)
    assert not app.state.simulator.deliveries


@pytest.mark.parametrize("kind", ["timeout_after_accept", "reset", "5xx"])
async def test_faults_make_a_send_ambiguous_and_the_lookup_tells_the_truth(kind: str, simulator_server) -> None:
    sim = simulator_server.state
    sim.config.registration_delay_s = 1.0
    async with httpx.AsyncClient() as http:
        client = make_svarut_client(http, base_url=simulator_server.base_url, send_timeout_s=0.5)
        await client.token.get()  # the token call is not what this test is about
        sim.set_faults(Faults(rate=1.0, kinds=(kind,), hold_s=1.5, endpoints=("send",), seed=3))
        outcomes = []
        for i in range(6):
            f = letter("print", ref=f"{kind}-{i}")
            with pytest.raises(Ambiguous):
                await client.send("print", f.metadata, f.files)
            outcomes.append(sim.deliveries[f"{kind}-{i}"])
            # Accepted or not, SvarUt does not show it yet: a single look-up would mislead.
            assert await client.lookup(f"{kind}-{i}") == []
        if kind == "timeout_after_accept":
            assert outcomes == [1] * 6
        else:
            assert 0 in outcomes and 1 in outcomes  # before and after accepting
        await asyncio.sleep(1.0)
        for i, n in enumerate(outcomes):
            assert len(await client.lookup(f"{kind}-{i}")) == n


async def test_slow_answers_within_the_timeout_succeed(simulator_server) -> None:
    simulator_server.state.set_faults(Faults(rate=1.0, kinds=("slow",), slow_s=0.1))
    async with httpx.AsyncClient() as http:
        client = make_svarut_client(http, base_url=simulator_server.base_url, send_timeout_s=2)
        f = letter("print", ref="slow")
        assert await client.send("print", f.metadata, f.files)
    assert simulator_server.state.deliveries["slow"] == 1


async def test_no_connection_is_surely_not_sent_and_opens_the_circuit() -> None:
    async with httpx.AsyncClient() as http:
        client = make_svarut_client(http, base_url="http://127.0.0.1:9")
        client.breaker = CircuitBreaker(failure_threshold=2, reset_s=60)
        client.token._token, client.token._expires_at = "t", float("inf")  # skip the token endpoint
        f = letter("print")
        for _ in range(2):
            with pytest.raises(NotSent, match="no connection"):
                await client.send("print", f.metadata, f.files)
        with pytest.raises(NotSent, match="circuit is open"):
            await client.send("print", f.metadata, f.files)
        assert client.breaker.state == "open"


async def test_query_calls_are_retried_through_faults(asgi_http: httpx.AsyncClient, simulator_app) -> None:
    sim = simulator_app.state.simulator
    client = make_svarut_client(asgi_http, query_attempts=6)
    f = letter("print", ref="retried")
    await client.send("print", f.metadata, f.files)
    sim.set_faults(Faults(rate=0.5, kinds=("5xx",), endpoints=("lookup",), seed=1))
    for _ in range(10):
        assert len(await client.lookup("retried")) == 1
    assert sim.injected["5xx"] > 0


async def test_the_simulator_records_what_it_received_and_decrypts_screened_documents() -> None:
    import hashlib

    from arkiv5_svarut_gateway.domain.addressing import Channel
    from arkiv5_svarut_gateway.simulator import encryption_keypair
    from arkiv5_svarut_gateway.svarut.crypto import encrypt_for_svarut

    key_pem, cert_pem = encryption_keypair()
    app = create_simulator_app(SimulatorConfig(encryption_key_pem=key_pem, encryption_certificate_pem=cert_pem))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim") as http:
        client = make_svarut_client(http)
        recipient = Recipient(korrespondansepart_id=uuid.uuid4(), navn="Kari Nordmann", fodselsnummer=make_fnr(RNG))
        material, _ = material_for([recipient], skjermet=True)
        decided = route(recipient, screened=True)
        assert isinstance(decided, Route) and decided.channel is Channel.PERSON and decided.high_security
        plain = minimal_pdf("Vedtak")
        docs = [Document("Vedtak.pdf", encrypt_for_svarut(plain, cert_pem))]
        f = build_forsendelse(material=material, navn="Kari Nordmann", route=decided, documents=docs,
                              ekstern_referanse="ref-screened", avgivende_system="Arkiv5", encrypted=True)
        svarut_id = await client.send(f.channel.value, f.metadata, f.files)

        listing = (await http.get("/_simulator/forsendelser", params={"eksternRef": "ref-screened"})).json()
        [item] = listing["items"]
        assert item["id"] == str(svarut_id) and "forsendelse" not in item
        assert (item["channel"], item["sikkerhetsniva"], item["kryptert"]) == ("person", "HOYESTE", True)
        [document] = item["documents"]
        assert document["filnavn"] == "Vedtak.pdf" and document["mimeType"] == "application/pdf"
        assert document["size"] == len(docs[0].content)
        assert document["sha256"] == hashlib.sha256(docs[0].content).hexdigest()
        assert document["decrypted"] is True and document["decrypted_is_pdf"] is True
        assert document["decrypted_sha256"] == hashlib.sha256(plain).hexdigest()

        one = (await http.get(f"/_simulator/forsendelser/{svarut_id}")).json()
        assert one["forsendelse"]["mottaker"]["digitalId"] == recipient.fodselsnummer
        assert one["status"] in ("MOTTATT", "AKSEPTERT", "SENDT_SDP", "LEVERT_SDP")
        assert (await http.get(f"/_simulator/forsendelser/{uuid.uuid4()}")).status_code == 404

        # Encrypted to some other certificate: SvarUt could not read it, and says so.
        _, other_cert = encryption_keypair()
        wrong = [Document("Vedtak.pdf", encrypt_for_svarut(plain, other_cert))]
        f = build_forsendelse(material=material, navn="Kari Nordmann", route=decided, documents=wrong,
                              ekstern_referanse="ref-wrong-key", avgivende_system="Arkiv5", encrypted=True)
        with pytest.raises(SendRefused):
            await client.send(f.channel.value, f.metadata, f.files)
        assert (await http.get("/_simulator/forsendelser", params={"eksternRef": "ref-wrong-key"})).json() == {"items": []}
