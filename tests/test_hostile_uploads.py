"""Uploads against the running suite, on SQLite and with every service on PostgreSQL: a caller
who may not add to a record is refused before a byte reaches the blob store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hostile_suite import RunningSuite, suite_on

DOCUMENT = b"%PDF-1.4\n" + b"x" * 200_000


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def suite(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSuite]:
    with suite_on(request.param, tmp_path_factory.mktemp(f"uploads-{request.param}") / "var") as running:
        yield running


@pytest.fixture(scope="module")
def other_units_record(suite: RunningSuite) -> tuple[str, str, str]:
    """A screened case of the IT unit, a journalpost in it and a document of that: the barnevern
    case handler (who has no clearance for code 6 and no part in the case) may neither add to
    them nor register in the case."""
    headers = {"Authorization": "Bearer " + suite.person_token("arkivleder", "journal")}
    case = suite.http.post(f"{suite.base}/journal/saksmapper", headers=headers,
                           json={"tittel": "Personalsak", "administrativEnhet": suite.units["IT"], "skjerming": {
                               "tilgangsrestriksjon": "6", "skjermingshjemmel": "Offl. § 25",
                               "skjermingMetadata": ["TMO"]}})
    assert case.status_code == 201, case.text
    jp = suite.http.post(f"{suite.base}/journal/saksmapper/{case.json()['systemID']}/journalposter", headers=headers,
                         json={"journalposttype": "X", "tittel": "Notat"})
    assert jp.status_code == 201, jp.text
    document = suite.http.post(f"{suite.base}/journal/journalposter/{jp.json()['systemID']}/dokumenter",
                               headers=headers, params={"tittel": "Personalnotat", "filnavn": "notat.pdf"},
                               content=DOCUMENT)
    assert document.status_code == 201, document.text
    return case.json()["systemID"], jp.json()["systemID"], document.json()["systemID"]


def _blobs(suite: RunningSuite) -> list[Path]:
    """Every file in the journal's blob store, the temporary ones included."""
    return sorted(p for p in suite.var_dir.rglob("*") if p.is_file() and "blobs" in p.parts)


# Every door a document's bytes come in by: our own upload, the Noark 5 fil link, a new version.
UPLOADS = {"own": "journalposter/{journalpost}/dokumenter",
           "noark5": "noark5/api/sakarkiv/journalpost/{journalpost}/fil/",
           "version": "dokumentbeskrivelser/{document}/versjoner"}


@pytest.mark.parametrize("door", sorted(UPLOADS))
def test_a_refused_upload_stores_nothing(suite: RunningSuite, other_units_record: tuple[str, str, str],
                                         door: str) -> None:
    _case, journalpost, document = other_units_record
    outsider = {"Authorization": "Bearer " + suite.person_token("saksbehandler", "journal")}
    before = _blobs(suite)
    path = UPLOADS[door].format(journalpost=journalpost, document=document)
    refused = suite.http.post(f"{suite.base}/journal/{path}", headers={**outsider, "Content-Type": "application/pdf"},
                              params={"tittel": "Vedlegg", "filnavn": "vedlegg.pdf"}, content=DOCUMENT)
    assert refused.status_code == 403, refused.text
    assert _blobs(suite) == before
    # The refusal names the rule, never the record: no title of the case, journalpost or document.
    assert not any(title in refused.text for title in ("Personalsak", "Notat", "notat.pdf"))


@pytest.mark.parametrize("door", ["sakarkiv/journalpost/{journalpost}", "arkivstruktur/dokumentbeskrivelse/{document}"])
def test_a_refused_chunked_upload_starts_no_session(suite: RunningSuite, other_units_record: tuple[str, str, str],
                                                    door: str) -> None:
    """The Noark 5 chunked upload asks the policy when its session starts: no session, no byte."""
    _case, journalpost, document = other_units_record
    outsider = {"Authorization": "Bearer " + suite.person_token("saksbehandler", "journal")}
    before = _blobs(suite)
    path = door.format(journalpost=journalpost, document=document)
    refused = suite.http.post(f"{suite.base}/journal/noark5/api/{path}/fil/", headers={
        **outsider, "X-Upload-Content-Type": "application/pdf", "X-Upload-Content-Length": str(len(DOCUMENT))})
    assert refused.status_code == 403, refused.text
    assert "location" not in refused.headers
    assert _blobs(suite) == before


def test_a_refused_multipart_registration_stores_nothing(suite: RunningSuite,
                                                        other_units_record: tuple[str, str, str]) -> None:
    case, _journalpost, _document = other_units_record
    outsider = {"Authorization": "Bearer " + suite.person_token("saksbehandler", "journal")}
    before = _blobs(suite)
    refused = suite.http.post(
        f"{suite.base}/journal/saksmapper/{case}/journalposter", headers=outsider,
        files={"journalpost": (None, b'{"journalposttype": "X", "tittel": "Notat"}', "application/json"),
               "brev": ("brev.pdf", DOCUMENT + b"other bytes", "application/pdf")})  # a blob of its own
    assert refused.status_code == 403, refused.text
    assert _blobs(suite) == before


def test_file_names_are_stored_as_safe_base_names(suite: RunningSuite) -> None:
    """No folders, at most 255 bytes of UTF-8 with the extension kept — on PostgreSQL no longer a
    500 for a name over the column's length, on SQLite no longer a path stored verbatim."""
    headers = {"Authorization": "Bearer " + suite.client_token("demo-fagsystem", "journal.read journal.write",
                                                               "journal")}
    case = suite.http.post(f"{suite.base}/journal/saksmapper", headers=headers,
                           json={"tittel": "Sak", "administrativEnhet": suite.units["HO-BV"]})
    assert case.status_code == 201, case.text
    long_name = "søknad om " + "ø" * 300 + ".pdf"
    registered = suite.http.post(
        f"{suite.base}/journal/saksmapper/{case.json()['systemID']}/journalposter", headers=headers,
        files={"journalpost": (None, b'{"journalposttype": "X", "tittel": "Notat"}', "application/json"),
               "a": ("../../etc/passwd", b"%PDF-1.4 a", "application/pdf"),
               "b": (long_name, b"%PDF-1.4 b", "application/pdf")})
    assert registered.status_code == 201, registered.text
    names = [d["dokumentobjekt"][0]["filnavn"] for d in registered.json()["dokumentbeskrivelse"]]
    assert names[0] == "passwd"
    assert names[1].endswith(".pdf") and names[1].startswith("søknad om ø")
    assert len(names[1].encode()) <= 255
    # The names as sent are kept as metadata beside the safe ones, for those who may see file names.
    originals = [d["dokumentobjekt"][0]["originaltFilnavn"] for d in registered.json()["dokumentbeskrivelse"]]
    assert originals == ["../../etc/passwd", long_name]

    uploaded = suite.http.post(
        f"{suite.base}/journal/journalposter/{registered.json()['systemID']}/dokumenter", headers=headers,
        params={"tittel": "Vedlegg", "filnavn": "..\\..\\windows\\CON.pdf"}, content=b"%PDF-1.4 c")
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["dokumentobjekt"][0]["filnavn"] == "_CON.pdf"
    assert uploaded.json()["dokumentobjekt"][0]["originaltFilnavn"] == "..\\..\\windows\\CON.pdf"
