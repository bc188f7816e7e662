"""schemathesis over every service's OpenAPI document, in the embedded suite and with every
service on PostgreSQL: zero 5xx and zero schema violations.

Each run uses a fixed seed and a bounded number of examples and time; the seed and the
counts are printed (pytest -s, and in the CI log). Every check schemathesis has runs,
except three that judge API design rather than whether the service keeps its promises:
`ignored_auth` (public endpoints), `positive_data_acceptance` and `negative_data_rejection`
(the schema cannot express cross-field rules such as "an incoming journalpost needs
mottattDato").

The journal's run is stateful through registration: its registration body (JSON, or
multipart with the journalpost as a JSON part and the documents as file parts) is a schema
schemathesis generates from, and the test checks that the run registered in cases it had
created (answers from the use case, 201 or a rule's 409), and prints how many it made.
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hostile_suite import RunningSuite, suite_on

SEED = 16
MAX_EXAMPLES = int(os.environ.get("ARKIV5_FUZZ_EXAMPLES", "10"))
# Time per run, so that all ten (five services, two databases) stay within about six
# minutes on two cores with the suites' start-up: the journal, with most operations and the
# stateful registration, gets the most. ARKIV5_FUZZ_SECONDS scales them (100 = as given).
SECONDS = {"journal": 40, "journal-stateful": 35, "access": 20, "conversion": 15, "svarut-gateway": 12, "intake": 12}
SCALE = int(os.environ.get("ARKIV5_FUZZ_SECONDS", "100")) / 100
# Judgements about API design, not about keeping promises (see the module docstring).
EXCLUDED_CHECKS = "ignored_auth,positive_data_acceptance,negative_data_rejection"
# Every scope each service's API knows, so the fuzzer reaches past the 403 everywhere (the
# journal's internal routes too).
SCOPES = {
    "journal": "journal.read journal.write journal.admin journal.documents.read journal.documents.write-archival "
               "journal.dispatch",
    "conversion": "conversion.convert conversion.report",
    "svarut-gateway": "svarut-gateway.read",
    "intake": "intake.fiks-arkiv intake.epost",
}

@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def suite(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSuite]:
    with suite_on(request.param, tmp_path_factory.mktemp(f"fuzz-{request.param}") / "var") as running:
        yield running


@pytest.fixture(scope="module")
def fuzz_client(suite: RunningSuite) -> tuple[str, str]:
    """A client with the scopes no demo client has, so fuzzing reaches past the 403."""
    arkivleder = suite.person_token("arkivleder", "access")
    created = suite.http.post(f"{suite.base}/access/clients", headers={"Authorization": f"Bearer {arkivleder}"}, json={
        "client_id": f"fuzzer-{suite.backend}", "role": "fagsystem", "valid_from": datetime.date.today().isoformat(),
        "allowed_scopes": [scope for service in SCOPES.values() for scope in service.split()]})
    assert created.status_code == 201, created.text
    return created.json()["client_id"], created.json()["client_secret"]


def token(suite: RunningSuite, service: str, fuzz_client: tuple[str, str]) -> str:
    """A fresh token (a run outlasts a token's lifetime) with every scope the service's API knows."""
    client, secret = fuzz_client
    if service == "access":
        return suite.person_token("arkivleder", "access")
    return suite.client_token(client, SCOPES[service], service, secret=secret)


def fuzz(suite: RunningSuite, service: str, token: str, report: Path, capsys: pytest.CaptureFixture[str],
         *, stateful: bool = False) -> dict[str, object]:
    """One schemathesis run: every phase, or (`stateful`) the stateful phase alone with its own time."""
    budget = max(5, round(SECONDS[f"{service}-stateful" if stateful else service] * SCALE))
    # schemathesis counts its own start-up (imports, reading the schema) against --max-time: on
    # a loaded machine a short budget can run out before the first case. Such a run proves
    # nothing, so it is repeated with four times the time; a run that still tests nothing fails.
    for seconds in (budget, budget * 4):
        result = _fuzz_run(suite, service, token, report, capsys, seconds=seconds, stateful=stateful)
        if _tested(result):
            break
    operations, warnings = result["operations"], result.get("warnings") or {}
    assert isinstance(operations, dict) and isinstance(warnings, dict)
    refused = warnings.get("missing_auth") or []
    assert len(refused) < operations["tested"], f"the token opened no operation of {service}: {refused}"
    return result


def _fuzz_run(suite: RunningSuite, service: str, token: str, report: Path, capsys: pytest.CaptureFixture[str],
              *, seconds: int, stateful: bool) -> dict[str, object]:
    """One schemathesis process with `seconds` of time; its JSON report, the counts printed."""
    command = [
        str(Path(sys.executable).parent / "st"), "run", f"{suite.base}/{service}/openapi.json",
        "--url", f"{suite.base}/{service}", "-H", f"Authorization: Bearer {token}",
        "--checks", "all", "--exclude-checks", EXCLUDED_CHECKS, "--seed", str(SEED),
        "--max-examples", str(MAX_EXAMPLES), "--max-time", str(seconds), "--workers", "1",
        "--suppress-health-check", "all", *(["--phases", "stateful"] if stateful else []), "--report", "json,har", "--report-json-path", str(report),
        "--report-har-path", str(report.with_suffix(".har")),
    ]
    # schemathesis keeps a cache of crashes in its working folder: keep it out of the tree.
    hooks = {"SCHEMATHESIS_HOOKS": str(Path(__file__).parent / "support" / "fuzz_hooks.py"),
             "ARKIV5_FUZZ_UNIT": suite.units["HO-BV"]}
    run = subprocess.run(command, capture_output=True, text=True, timeout=seconds * 3 + 120, cwd=report.parent,
                         env={**os.environ, **hooks})
    assert report.exists(), run.stdout[-4000:] + run.stderr[-2000:]
    result: dict[str, object] = json.loads(report.read_text())
    cases = result["test_cases"]
    assert isinstance(cases, dict)
    with capsys.disabled():  # the seed and the counts belong in the CI log, pass or fail
        print(f"\nschemathesis {service}{' (stateful)' if stateful else ''} on {suite.backend}: seed {result['seed']}, "
              f"{cases['generated']} test cases, {cases['with_failures']} with failures, "
              f"{cases['unique_failures']} unique failures, {len(result['errors'])} errors "  # type: ignore[arg-type]
              f"({run.returncode=})")
    if cases["unique_failures"] or result["errors"]:
        print(run.stdout[-6000:])
    return result


def _tested(result: dict[str, object]) -> int:
    operations = result["operations"]
    assert isinstance(operations, dict)
    return int(operations["tested"])


def _failures(result: dict[str, object]) -> set[tuple[str, str]]:
    found = set()
    for failure in result["failures"]:  # type: ignore[attr-defined]
        for operation in failure["operations"]:
            found.add((operation, failure["code"]))
    return found


@pytest.mark.parametrize("service", ["journal", "access", "conversion", "svarut-gateway", "intake"])
def test_no_5xx_and_no_schema_violation(suite: RunningSuite, fuzz_client: tuple[str, str], service: str,
                                        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = fuzz(suite, service, token(suite, service, fuzz_client), tmp_path / f"{service}.json", capsys)
    assert not result["errors"], result["errors"]
    assert _failures(result) == set(), json.dumps(result["failures"], indent=1)
    if service == "journal":
        # The stateful phase on its own clock: after the others it would get no time left.
        result = fuzz(suite, service, token(suite, service, fuzz_client), tmp_path / "stateful.json", capsys,
                      stateful=True)
        assert not result["errors"], result["errors"]
        assert _failures(result) == set(), json.dumps(result["failures"], indent=1)
        created, reached, registered = _registration_reach(tmp_path / "stateful.har")
        with capsys.disabled():
            print(f"journal on {suite.backend}: {created} cases created, {reached} registrations in them, "
                  f"{registered} registered")
        assert reached, "the fuzzer never registered in a case it created (stateful phase through registration)"


def _registration_reach(har: Path) -> tuple[int, int, int]:
    """From the run's HAR: cases created, registration requests into those cases that passed
    validation (answered by the use case: 201 or a rule's 409), and registrations made."""
    entries = json.loads(har.read_text())["log"]["entries"]
    cases = set()
    for entry in entries:
        if entry["request"]["method"] == "POST" and entry["request"]["url"].endswith("/journal/saksmapper") \
                and entry["response"]["status"] == 201:
            cases.add(json.loads(entry["response"]["content"]["text"])["systemID"])
    answers = [entry["response"]["status"] for entry in entries if entry["request"]["method"] == "POST"
               and any(entry["request"]["url"].split("?")[0].endswith(f"/saksmapper/{case}/journalposter")
                       for case in cases)]
    return len(cases), sum(status in (201, 409) for status in answers), answers.count(201)
