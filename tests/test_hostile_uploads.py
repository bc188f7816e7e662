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
def other_units_record(suite: RunningSuite) -> tuple[str, str]:
    """A screened case of the IT unit and a journalpost in it: the barnevern case handler (who has
    no clearance for code 6 and no part in the case) may neither add to it nor register in it."""
    headers = {"Authorization": "Bearer " + suite.person_token("arkivleder", "journal")}
    case = suite.http.post(f"{suite.base}/journal/saksmapper", headers=headers,
                           json={"tittel": "Personalsak", "administrativEnhet": suite.units["IT"], "skjerming": {
                               "tilgangsrestriksjon": "6", "skjermingshjemmel": "Offl. § 25",
                               "skjermingMetadata": ["TMO"]}})
    assert case.status_code == 201, case.text
    jp = suite.http.post(f"{suite.base}/journal/saksmapper/{case.json()['systemID']}/journalposter", headers=headers,
                         json={"journalposttype": "X", "tittel": "Notat"})
    assert jp.status_code == 201, jp.text
    return case.json()["systemID"], jp.json()["systemID"]


def _blobs(suite: RunningSuite) -> list[Path]:
    """Every file in the journal's blob store, the temporary ones included."""
    return sorted(p for p in suite.var_dir.rglob("*") if p.is_file() and "blobs" in p.parts)


def test_a_refused_upload_stores_nothing(suite: RunningSuite, other_units_record: tuple[str, str]) -> None:
    _case, journalpost = other_units_record
    outsider = {"Authorization": "Bearer " + suite.person_token("saksbehandler", "journal")}
    before = _blobs(suite)
    refused = suite.http.post(f"{suite.base}/journal/journalposter/{journalpost}/dokumenter", headers=outsider,
                              params={"tittel": "Vedlegg", "filnavn": "vedlegg.pdf"}, content=DOCUMENT)
    assert refused.status_code == 403, refused.text
    assert _blobs(suite) == before


def test_a_refused_multipart_registration_stores_nothing(suite: RunningSuite,
                                                        other_units_record: tuple[str, str]) -> None:
    case, _journalpost = other_units_record
    outsider = {"Authorization": "Bearer " + suite.person_token("saksbehandler", "journal")}
    before = _blobs(suite)
    refused = suite.http.post(
        f"{suite.base}/journal/saksmapper/{case}/journalposter", headers=outsider,
        files={"journalpost": (None, b'{"journalposttype": "X", "tittel": "Notat"}', "application/json"),
               "brev": ("brev.pdf", DOCUMENT + b"other bytes", "application/pdf")})  # a blob of its own
    assert refused.status_code == 403, refused.text
    assert _blobs(suite) == before
