"""A run of NUL, oversize and constraint-violating inputs against the suite, on SQLite and
with every service on PostgreSQL, leaves no statement text, parameter, title, name or
fødselsnummer in any log line."""

from __future__ import annotations

import datetime
import json

import pytest
from hostile_suite import RunningSuite, suite_on

FNR = "15108612345"  # eleven digits shaped like a fødselsnummer
TITLE = "Barnevernssak Zyxelbrook"
NAME = "Kari Quorndal"
ADDRESS = "Hemmeligveien 17"
STATEMENT_WORDS = ("INSERT INTO", "UPDATE ", "SELECT ", "[parameters:", "[SQL:", "$1", "VALUES (")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_hostile_inputs_leave_no_personal_data_or_sql_in_the_log(backend: str, tmp_path: pytest.TempPathFactory) -> None:
    with suite_on(backend, tmp_path / "var") as suite:  # type: ignore[operator]
        answers = _send_hostile_inputs(suite)
        log = suite.log_text()
    assert all(status < 500 for _, status in answers), answers
    lines = [line for line in log.splitlines() if line.strip()]
    assert lines, "nothing was logged"
    for line in lines:
        for secret in (FNR, TITLE, NAME, ADDRESS, *STATEMENT_WORDS):
            assert secret not in line, (secret, line[:2000])
    if backend == "postgresql":
        refused = [json.loads(line) for line in lines if '"database refused the request"' in line]
        # The inputs are now refused before they reach PostgreSQL (the input policy, safe file
        # names); whatever the database still refuses is logged by error id and SQLSTATE only.
        assert all(entry["sqlstate"] and entry["error_id"] for entry in refused), refused


def _send_hostile_inputs(suite: RunningSuite) -> list[tuple[str, int]]:
    journal = {"Authorization": "Bearer " + suite.client_token("demo-fagsystem", "journal.read journal.write", "journal")}
    base = f"{suite.base}/journal"
    answers: list[tuple[str, int]] = []

    def post(what: str, path: str, **kwargs: object) -> int:
        response = suite.http.post(base + path, **kwargs)  # type: ignore[arg-type]
        answers.append((what, response.status_code))
        assert FNR not in response.text and "INSERT" not in response.text, (what, response.text)
        return response.status_code

    case = suite.http.post(base + "/saksmapper", headers=journal,
                           json={"tittel": f"{TITLE} {NAME}", "administrativEnhet": suite.units["HO-BV"]}).json()
    post("NUL in a title", "/saksmapper", headers=journal,
         json={"tittel": f"{TITLE}\u0000 {FNR}", "administrativEnhet": suite.units["HO-BV"]})
    post("oversize JSON", "/saksmapper", headers={**journal, "Content-Type": "application/json"},
         content=json.dumps({"tittel": TITLE * 60_000}).encode())
    post("fødselsnummer in a code", f"/saksmapper/{case['systemID']}/journalposter", headers=journal,
         json={"journalposttype": FNR, "tittel": TITLE, "mottattDato": "2026-01-05"})
    letter = {"journalposttype": "I", "tittel": f"{TITLE} fra {NAME}", "mottattDato": "2026-01-05",
              "korrespondansepart": [{"korrespondanseparttype": "EA", "korrespondansepartNavn": NAME,
                                      "postadresse": [ADDRESS], "postnummer": "4514", "poststed": "Mandal"}]}
    # A file name over the column's 255 characters: PostgreSQL refuses the statement (SQLSTATE
    # 22001) whose parameters hold the title, the name and the address.
    files = {"journalpost": (None, json.dumps(letter).encode(), "application/json"),
             "dokument": (f"{NAME} {'x' * 300}.pdf", b"%PDF-1.4 x", "application/pdf")}
    post("file name over 255 characters", f"/saksmapper/{case['systemID']}/journalposter", headers=journal,
         files=files)
    post("NUL in a multipart file name", f"/saksmapper/{case['systemID']}/journalposter",
         headers={**journal, "Content-Type": "multipart/form-data; boundary=XyZ"},
         content=b'--XyZ\r\nContent-Disposition: form-data; name="journalpost"\r\nContent-Type: application/json\r\n\r\n'
         + json.dumps(letter).encode() + b'\r\n--XyZ\r\nContent-Disposition: form-data; name="dokument"; '
         b'filename="brev\x00.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4 x\r\n--XyZ--\r\n')
    for params in ({"journalaar": "3000000000"}, {"$skip": "99999999999999999999"}):
        answers.append((f"out of range {params}", suite.http.get(base + "/journalposter", params=params,
                                                                 headers=journal).status_code))
    # A unique constraint in the access service: the same client registered twice.
    arkivleder = {"Authorization": "Bearer " + suite.person_token("arkivleder", "access")}
    client = {"client_id": "dobbel-klient", "role": "fagsystem", "valid_from": datetime.date.today().isoformat()}
    for attempt in ("client", "the same client again"):
        answers.append((attempt, suite.http.post(f"{suite.base}/access/clients", headers=arkivleder,
                                                 json=client).status_code))
    return answers
