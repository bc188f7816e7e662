"""KS's protocol-validator cases replayed through the HTTP transport against a real journal.

Each case's message goes unchanged, except the identifiers the validator itself says must be
replaced by ones that exist in the receiving archive; those records are seeded first through
the same transport. Every answer must be of the expected types, every payload must validate
against its XSD, and every XPath check must pass. The cases this archive cannot carry out
(the journal's API has no such operation) are listed with the reason, and must get exactly
the documented feilmelding.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from intake_helpers import CASES, Wired, check_query, load_test_information, substitute, wire
from lxml import etree
from required import missing

from arkiv5_intake.fiksarkiv import answers, xml
from arkiv5_kit.reference import ReferenceFileMissing, reference_file

P = "no.ks.fiks.arkiv.v1."
MDK = 'xmlns="https://ks-no.github.io/standarder/fiks-protokoll/fiks-arkiv/metadatakatalog/v1"'
OPPRETT_NS = "https://ks-no.github.io/standarder/fiks-protokoll/fiks-arkiv/arkivmelding/opprett/v1"

# Case → why this archive answers ugyldigforespoersel instead of the expected kvittering/resultat.
NOT_SUPPORTED = {
    "OppdaterMappeStatusN2": "the saksmappe is closed by OppdaterMappeStatusN1 first; only the archive service "
    "reopens a closed case (policy saksmappe.closed), not a fagsystem",
}

# Refused cases whose feilmelding must say what was not done, who can do it, and the journal's reason.
REFUSAL_SAYS = {
    "OppdaterMappeStatusN2": (
        "saksstatus U was not set: the saksmappe is closed (saksstatus A)",
        "which only the archive service does",
        "only the archive service may correct it",
    )
}

ORDER = [
    "NyJournalpostN6",
    "NyJournalpostN1",
    "NyMappeMedJournalpostN1",
    "NyttDokumentobjektN1",
    "NyAvskrivningN1",
    "NyAvskrivningN2",
    "SlettAvskrivningN1",
    "OppdaterJournalpostEksternNoekkelN2",
    "OppdaterJournalpostEksternNoekkelN3",
    "OppdaterMappeKlassifikasjonN1",
    "OppdaterMappeSaksansvarligN1",
    "OppdaterMappeSaksansvarligN3",
    "OppdaterMappeSkjermingN1",
    "OppdaterMappeStatusN1",
    "OppdaterMappeStatusN2",
    "HentJournalpostN2",
    "HentSaksmappeN1",
    "HentJournalpostF1",
    "HentJournalpostF2",
    "NySokN1",
    "NySokN2",
    "NySokN4",
    "NySokN5",
    "NySokN7",
]


def case_dir(name: str) -> Path:
    try:
        return reference_file(f"{CASES}/{name}/testInformation.json").parent
    except ReferenceFileMissing as problem:
        missing(f"the Fiks Arkiv validator cases ({problem})")
        raise


def mappe_message(noekkel: str, tittel: str, fagsystem: str = "Fiks protokoll validator") -> bytes:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<arkivmelding xmlns="{OPPRETT_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <system>seed</system><antallFiler>0</antallFiler>
  <mappe xsi:type="saksmappe"><tittel>{tittel}</tittel>
    <referanseEksternNoekkel><fagsystem {MDK}>{fagsystem}</fagsystem><noekkel {MDK}>{noekkel}</noekkel></referanseEksternNoekkel>
  </mappe>
</arkivmelding>""".encode()


def journalpost_message(mappe_noekkel: str, noekkel: str, tittel: str) -> bytes:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<arkivmelding xmlns="{OPPRETT_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <system>seed</system><antallFiler>0</antallFiler>
  <registrering xsi:type="journalpost">
    <referanseForelderMappe><referanseEksternNoekkel {MDK}><fagsystem>Fiks protokoll validator</fagsystem><noekkel>{mappe_noekkel}</noekkel></referanseEksternNoekkel></referanseForelderMappe>
    <tittel>{tittel}</tittel>
    <referanseEksternNoekkel><fagsystem {MDK}>Fiks protokoll validator</fagsystem><noekkel {MDK}>{noekkel}</noekkel></referanseEksternNoekkel>
    <journalposttype><kode {MDK}>N</kode></journalposttype>
    <dokumentetsDato>2026-01-05</dokumentetsDato>
  </registrering>
</arkivmelding>""".encode()


def kvittering_of(svar: list[dict[str, object]]) -> etree._Element:
    assert svar[-1]["xml"], svar
    return etree.fromstring(str(svar[-1]["xml"]).encode())


def value(root: etree._Element, local: str) -> str:
    found = root.xpath(f"//*[local-name()='{local}']")
    assert found, local
    return str(found[0].text)


Send = Callable[[str, str, bytes, dict[str, bytes]], Awaitable[list[dict[str, Any]]]]


async def seed(wired: Wired) -> dict[str, str]:
    """The records the cases name, made through the transport; returns the replacements."""
    opprett = P + "arkivering.arkivmelding.opprett"
    saksmappe = kvittering_of(await wired.send(opprett, "seed-1", mappe_message("seed-saksmappe", "Test seed")))
    journalpost = kvittering_of(
        await wired.send(
            opprett,
            "seed-2",
            journalpost_message("seed-saksmappe", "86af5c8f-e06e-4c5c-b49b-97ccb1ce68a2", "Test journalpost"),
        )
    )
    for number, key in enumerate(
        ["nøkkel-til-saksmappe", "1-skjerming-som-med-ny-nøkkel", "ca3ce092-0bfa-46bb-ad18-b00a340cdd8c"]
    ):
        await wired.send(opprett, f"seed-mappe-{number}", mappe_message(key, f"Testsak {number}"))
    sak = kvittering_of(await wired.send(opprett, "seed-saksnummer", mappe_message("seed-saksnummer", "Test nummer")))
    return {
        "22f05e04-37c4-4051-8b3a-853c8eac4b33": value(saksmappe, "systemID"),
        "an-existing-id": value(journalpost, "systemID"),
        "en-registreringsid": value(journalpost, "systemID"),
        "<journalaar>2022</journalaar>": f"<journalaar>{value(journalpost, 'journalaar')}</journalaar>",
        "<journalsekvensnummer>1</journalsekvensnummer>": f"<journalsekvensnummer>{value(journalpost, 'journalsekvensnummer')}</journalsekvensnummer>",
        "<saksaar>2022</saksaar>": f"<saksaar>{value(sak, 'saksaar')}</saksaar>",
        "<sakssekvensnummer>1</sakssekvensnummer>": f"<sakssekvensnummer>{value(sak, 'sakssekvensnummer')}</sakssekvensnummer>",
    }


def payload_schema(meldingstype: str) -> str | None:
    """Answers with a payload are validated against the XSD of their own type."""
    return meldingstype if xml.has_schema(meldingstype) else None


async def test_every_validator_case_through_the_http_transport(wired: Wired) -> None:
    await replay(wired, wired.send)


def expected_refusal(meldingstype: str) -> list[str]:
    """What a refused (valid but not carried out) message gets: `…mottatt` for arkivering, then the feilmelding."""
    received = [f"{meldingstype}.mottatt"] if meldingstype in answers.ARKIVERING else []
    return [*received, answers.UGYLDIG]


# Reply types that must carry no payload (FiksResponseValidator); every other reply carries one.
NO_PAYLOAD = (
    ".mottatt",
    "arkivmelding.oppdater.kvittering",
    "avskrivning.opprett.kvittering",
    "avskrivning.slett.kvittering",
)
FEIL_CHECKS = [
    {"payloadQuery": f"/{local}", "expectedValue": "*", "valueType": 0}
    for local in ("ugyldigforespoersel/feilId", "ugyldigforespoersel/feilmelding")
]


def test_the_replayed_cases_are_every_case_in_the_reference_folder() -> None:
    """A case added to the reference folder is replayed, never silently skipped."""
    folder = case_dir(ORDER[0]).parent
    present = sorted(p.name for p in folder.iterdir() if (p / "testInformation.json").is_file())
    assert sorted(ORDER) == present


async def replay(wired: Wired, send: Send) -> None:
    """Every case through `send`; the seed records are made over HTTP.

    Strict as KS's validator: exactly the expected reply types (a refused case exactly its
    `…mottatt` and `ugyldigforespoersel`, no kvittering), a payload exactly where the validator
    requires one, every payload valid against its XSD, and every XPath check of the case.
    """
    replacements = await seed(wired)
    failures: list[str] = []
    for name in ORDER:
        folder = case_dir(name)
        info = load_test_information(folder / "testInformation.json")
        [message] = [p for p in folder.glob("*.xml")]
        attachments = (
            {p.name: p.read_bytes() for p in sorted((folder / "Attachments").glob("*"))}
            if (folder / "Attachments").is_dir()
            else {}
        )
        payload = substitute(message.read_bytes(), replacements)
        svar = await send(info["messageType"], f"case-{name}", payload, attachments)
        types = [str(s["meldingstype"]) for s in svar]
        for s in svar:
            carries = s["xml"] is not None
            if carries == str(s["meldingstype"]).endswith(NO_PAYLOAD):
                failures.append(f"{name}: {s['meldingstype']} {'carries' if carries else 'lacks'} a payload")
            if carries and (schema := payload_schema(str(s["meldingstype"]))):
                xml.validate(xml.parse(str(s["xml"]).encode()), schema)
        if name in NOT_SUPPORTED:
            expected = expected_refusal(info["messageType"])
            queries: list[dict[str, Any]] = FEIL_CHECKS
            ok = types == expected
        else:
            expected = list(info["expectedResponseMessageTypes"])
            queries = list(info.get("queriesWithExpectedValues") or [])
            # For innsyn.sok one of the listed types is enough; otherwise each listed type, and nothing else.
            ok = (
                (len(types) == 1 and types[0] in expected)
                if info["messageType"] == P + "innsyn.sok"
                else types == expected
            )
        if not ok:
            why = NOT_SUPPORTED.get(name, "")
            failures.append(
                f"{name}: answered {types}, expected {expected} {why}: "
                f"{value(kvittering_of(svar), 'feilmelding') if svar and svar[-1]['xml'] else ''}"
            )
            continue
        if name in REFUSAL_SAYS and not all(
            phrase in value(kvittering_of(svar), "feilmelding") for phrase in REFUSAL_SAYS[name]
        ):
            failures.append(f"{name}: refused for another reason: {value(kvittering_of(svar), 'feilmelding')}")
        for query in queries:
            payload_xml = next((s["xml"] for s in svar if s["xml"]), None)
            if payload_xml is None:
                failures.append(f"{name}: no payload for {query['payloadQuery']}")
            elif (problem := check_query(str(payload_xml), query)) is not None:
                failures.append(f"{name}: {problem}")
    assert not failures, "\n".join(failures)


async def test_a_repeated_message_gets_the_same_answers_and_archives_nothing_twice(
    tmp_path: Path, db_backend: Any
) -> None:
    """On SQLite and PostgreSQL (intake's own database; the journal stays on SQLite)."""
    async for wired in wire(tmp_path, database_url=db_backend.url):
        await _repeated(wired)


async def _repeated(wired: Wired) -> None:
    await wired.send(P + "arkivering.arkivmelding.opprett", "m-1", mappe_message("sak-1", "Test"))
    message = journalpost_message("sak-1", "jp-1", "Notat om tilbygg")
    first = await wired.send(P + "arkivering.arkivmelding.opprett", "m-2", message)
    again = await wired.send(P + "arkivering.arkivmelding.opprett", "m-2", message)
    assert again == first
    # A new message with the same referanseEksternNoekkel: the same record, answered as Eksisterende.
    other = await wired.send(P + "arkivering.arkivmelding.opprett", "m-3", message)
    assert [s["meldingstype"] for s in other] == [s["meldingstype"] for s in first]
    assert value(kvittering_of(other), "systemID") == value(kvittering_of(first), "systemID")
    assert value(kvittering_of(other), "opprettetEllerEksisterende") == "Eksisterende"

    # The same klientMeldingId for other content: refused naming the reuse, never the first kvittering.
    def refused_for_reuse(svar: list[dict[str, Any]]) -> bool:
        return [s["meldingstype"] for s in svar] == [answers.UGYLDIG] and "klientMeldingId was used before" in value(
            kvittering_of(svar), "feilmelding"
        )

    reused = await wired.send(
        P + "arkivering.arkivmelding.opprett", "m-2", journalpost_message("sak-1", "jp-2", "Notat om garasje")
    )
    assert refused_for_reuse(reused), reused
    xml.validate(xml.parse(str(reused[0]["xml"]).encode()), answers.UGYLDIG)
    # Another type, or the same XML with an attachment, is other content too.
    assert refused_for_reuse(await wired.send(P + "arkivering.arkivmelding.oppdater", "m-2", message))
    assert refused_for_reuse(
        await wired.send(P + "arkivering.arkivmelding.opprett", "m-2", message, {"x.pdf": b"%PDF-1.4"})
    )
    # The first message's answers stand.
    assert await wired.send(P + "arkivering.arkivmelding.opprett", "m-2", message) == first
    saksmappe = value(kvittering_of(first), "systemID")
    response = await wired.journal_client.get(f"/journalposter/{saksmappe}", headers=wired.journal_headers())
    case = response.json()["saksmappe"]
    listed = await wired.journal_client.get(f"/saksmapper/{case}/journalposter", headers=wired.journal_headers())
    assert listed.json()["count"] == 1


@pytest.mark.parametrize(
    "payload, why",
    [
        (b"<arkivmelding", "not well-formed"),
        (b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "y">]><arkivmelding/>', "DOCTYPE"),
        (f'<arkivmelding xmlns="{OPPRETT_NS}"><system>x</system></arkivmelding>'.encode(), "arkivmelding.opprett.xsd"),
    ],
)
async def test_invalid_messages_get_ugyldigforespoersel_saying_what_is_wrong(
    wired: Wired, payload: bytes, why: str
) -> None:
    svar = await wired.send(P + "arkivering.arkivmelding.opprett", "bad", payload)
    assert [s["meldingstype"] for s in svar] == [answers.UGYLDIG]
    xml.validate(xml.parse(str(svar[0]["xml"]).encode()), answers.UGYLDIG)
    assert why in value(kvittering_of(svar), "feilmelding")


def saksdato_sok(operator: str, *days: str, responstype: str = "minimum", tittel: str | None = None) -> bytes:
    values = "".join(f"<value>{d}T00:00:00.0</value>" for d in days)
    title = (
        f"""<parametere><operator>equal</operator><sokVerdier><stringvalues><value>{tittel}</value></stringvalues>
      </sokVerdier><felt>mappeTittel</felt></parametere>"""
        if tittel
        else ""
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<sok xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="https://ks-no.github.io/standarder/fiks-protokoll/fiks-arkiv/sok/v1">
  <system>test</system><take>10</take><skip>0</skip>
  <sokdefinisjon xsi:type="saksmappeSokdefinisjon"><responstype>{responstype}</responstype>
    <parametere><operator>{operator}</operator><sokVerdier><datevalues>{values}</datevalues></sokVerdier>
      <felt>sakSaksdato</felt></parametere>{title}
  </sokdefinisjon>
</sok>""".encode()


async def test_sok_on_saksdato_finds_the_saksmapper_in_the_range(wired: Wired) -> None:
    opprett = P + "arkivering.arkivmelding.opprett"
    for number, (day, tittel) in enumerate(
        [
            ("2021-10-31", "Motorferdsel før"),
            ("2021-11-01", "Motorferdsel første"),
            ("2021-12-31", "Byggesak siste"),
            ("2022-01-01", "Motorferdsel etter"),
        ]
    ):
        message = mappe_message(f"saksdato-{number}", tittel).replace(
            b"</referanseEksternNoekkel>", f"</referanseEksternNoekkel><saksdato>{day}</saksdato>".encode(), 1
        )
        svar = await wired.send(opprett, f"saksdato-{number}", message)
        assert svar[-1]["meldingstype"] == opprett + ".kvittering", svar

    async def titles(payload: bytes, responstype: str = "minimum") -> list[str]:
        svar = await wired.send(P + "innsyn.sok", f"sok-{hash(payload)}", payload)
        assert [s["meldingstype"] for s in svar] == [f"{P}innsyn.sok.resultat.{responstype}"], svar
        result = xml.parse(str(svar[0]["xml"]).encode())
        xml.validate(result, str(svar[0]["meldingstype"]))
        return [str(t.text) for t in result.xpath("//*[local-name()='saksmappe']/*[local-name()='tittel']")]

    assert await titles(saksdato_sok("between", "2021-11-01", "2021-12-31")) == [
        "Motorferdsel første",
        "Byggesak siste",
    ]
    assert await titles(saksdato_sok("lessthan", "2021-11-01")) == ["Motorferdsel før"]
    assert await titles(saksdato_sok("greaterequal", "2021-12-31")) == ["Byggesak siste", "Motorferdsel etter"]
    assert await titles(saksdato_sok("equal", "2022-01-01", responstype="utvidet"), "utvidet") == ["Motorferdsel etter"]
    assert await titles(saksdato_sok("between", "2021-10-01", "2021-12-31", tittel="Motorferdsel*")) == [
        "Motorferdsel før",
        "Motorferdsel første",
    ]
    refused = await wired.send(P + "innsyn.sok", "sok-bad", saksdato_sok("between", "2021-11-01"))
    assert [s["meldingstype"] for s in refused] == [answers.UGYLDIG]
    assert "needs 2 datevalues" in value(kvittering_of(refused), "feilmelding")


async def test_an_identifier_that_fails_its_check_digits_is_left_out_and_named_in_a_remark(wired: Wired) -> None:
    """NyJournalpostN6's parties: organisasjonid 123456789 and personid 12345678901 fail their checks."""
    replacements = await seed(wired)
    folder = case_dir("NyJournalpostN6")
    attachments = {p.name: p.read_bytes() for p in sorted((folder / "Attachments").glob("*"))}
    payload = substitute((folder / "arkivmelding.xml").read_bytes(), replacements)
    svar = await wired.send(P + "arkivering.arkivmelding.opprett", "n6", payload, attachments)
    journalpost = value(kvittering_of(svar), "systemID")
    record = (await wired.journal_client.get(f"/journalposter/{journalpost}", headers=wired.journal_headers())).json()
    parts = {p["korrespondansepartNavn"]: p for p in record["korrespondansepart"]}
    assert set(parts) == {"Test kommune", "Anita Avsender", "Oppmålingsetaten"}
    assert not parts["Test kommune"].get("organisasjonsnummer") and not parts["Anita Avsender"].get("foedselsnummer")
    assert parts["Anita Avsender"]["postadresse"] == ["Gate 1"]
    [remark] = [m["merknadstekst"] for m in record["merknad"]]
    assert "korrespondansepart 1 (EM): organisasjonid not kept" in remark
    assert "korrespondansepart 2 (EA): personid not kept" in remark
    assert "123456789" not in remark and "12345678901" not in remark
    # A valid identifier is kept as it came.
    valid = payload.replace(
        "123456789".encode("utf-16-le") if payload[:2] == b"\xff\xfe" else b"123456789",
        "974760673".encode("utf-16-le") if payload[:2] == b"\xff\xfe" else b"974760673",
    )
    valid = valid.replace(b"e4712424", b"f4712424").replace(
        "e4712424".encode("utf-16-le"), "f4712424".encode("utf-16-le")
    )
    svar = await wired.send(P + "arkivering.arkivmelding.opprett", "n6-valid", valid, attachments)
    record = (
        await wired.journal_client.get(
            f"/journalposter/{value(kvittering_of(svar), 'systemID')}", headers=wired.journal_headers()
        )
    ).json()
    parts = {p["korrespondansepartNavn"]: p for p in record["korrespondansepart"]}
    assert parts["Test kommune"]["organisasjonsnummer"] == "974760673"
    assert ["korrespondansepart 1" in m["merknadstekst"] for m in record["merknad"]] == [False]


async def test_avskrivning_slett_deletes_the_sign_off_and_a_second_finds_none(wired: Wired) -> None:
    replacements = await seed(wired)

    async def case(name: str, melding_id: str) -> list[dict[str, Any]]:
        folder = case_dir(name)
        info = load_test_information(folder / "testInformation.json")
        attachments = (
            {p.name: p.read_bytes() for p in sorted((folder / "Attachments").glob("*"))}
            if (folder / "Attachments").is_dir()
            else {}
        )
        [message] = [p for p in folder.glob("*.xml")]
        return await wired.send(
            info["messageType"], melding_id, substitute(message.read_bytes(), replacements), attachments
        )

    journalpost = value(kvittering_of(await case("NyJournalpostN6", "n6")), "systemID")

    async def avskrivninger() -> list[dict[str, Any]]:
        response = await wired.journal_client.get(f"/journalposter/{journalpost}", headers=wired.journal_headers())
        return list(response.json()["avskrivning"])

    assert [s["meldingstype"] for s in await case("NyAvskrivningN1", "avskriv")][-1].endswith(".kvittering")
    assert [a["avskrivningsmaate"]["kode"] for a in await avskrivninger()] == ["BU"]
    slett = P + "arkivering.avskrivning.slett"
    assert [s["meldingstype"] for s in await case("SlettAvskrivningN1", "slett")] == [
        f"{slett}.mottatt",
        f"{slett}.kvittering",
    ]
    assert await avskrivninger() == []
    again = await case("SlettAvskrivningN1", "slett-igjen")
    assert [s["meldingstype"] for s in again] == [f"{slett}.mottatt", answers.IKKEFUNNET]
    assert value(kvittering_of(again), "feilmelding") == "the journalpost has no avskrivning"
