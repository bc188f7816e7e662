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
schemathesis generates from, and the test checks that the run registered journalposts.
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
MAX_SECONDS = int(os.environ.get("ARKIV5_FUZZ_SECONDS", "90"))
# Judgements about API design, not about keeping promises (see the module docstring).
EXCLUDED_CHECKS = "ignored_auth,positive_data_acceptance,negative_data_rejection"
# Every scope each service's API knows, so the fuzzer reaches past the 403 everywhere (the
# journal's internal routes too).
SCOPES = {
    "journal": "journal.read journal.write journal.admin journal.documents.read journal.documents.write-archival "
               "journal.dispatch",
    "conversion": "conversion.convert conversion.report",
    "svarut-gateway": "svarut-gateway.read",
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
        "allowed_scopes": [*SCOPES["journal"].split(), *SCOPES["conversion"].split(), SCOPES["svarut-gateway"]]})
    assert created.status_code == 201, created.text
    return created.json()["client_id"], created.json()["client_secret"]


def token(suite: RunningSuite, service: str, fuzz_client: tuple[str, str]) -> str:
    """A fresh token (a run outlasts a token's lifetime) with every scope the service's API knows."""
    client, secret = fuzz_client
    if service == "access":
        return suite.person_token("arkivleder", "access")
    return suite.client_token(client, SCOPES[service], service, secret=secret)


def fuzz(suite: RunningSuite, service: str, token: str, report: Path, capsys: pytest.CaptureFixture[str]
         ) -> dict[str, object]:
    command = [
        str(Path(sys.executable).parent / "st"), "run", f"{suite.base}/{service}/openapi.json",
        "--url", f"{suite.base}/{service}", "-H", f"Authorization: Bearer {token}",
        "--checks", "all", "--exclude-checks", EXCLUDED_CHECKS, "--seed", str(SEED),
        "--max-examples", str(MAX_EXAMPLES), "--max-time", str(MAX_SECONDS), "--workers", "1",
        "--suppress-health-check", "all", "--report", "json", "--report-json-path", str(report),
    ]
    # schemathesis keeps a cache of crashes in its working folder: keep it out of the tree.
    run = subprocess.run(command, capture_output=True, text=True, timeout=MAX_SECONDS * 3 + 120, cwd=report.parent)
    assert report.exists(), run.stdout[-4000:] + run.stderr[-2000:]
    result: dict[str, object] = json.loads(report.read_text())
    cases = result["test_cases"]
    assert isinstance(cases, dict)
    warnings = result.get("warnings") or {}
    with capsys.disabled():  # the seed and the counts belong in the CI log, pass or fail
        print(f"\nschemathesis {service} on {suite.backend}: seed {result['seed']}, "
              f"{cases['generated']} test cases, {cases['with_failures']} with failures, "
              f"{cases['unique_failures']} unique failures, {len(result['errors'])} errors "  # type: ignore[arg-type]
              f"({run.returncode=})")
    if cases["unique_failures"] or result["errors"]:
        print(run.stdout[-6000:])
    operations = result["operations"]
    assert isinstance(operations, dict) and isinstance(warnings, dict)
    refused = warnings.get("missing_auth") or []
    assert len(refused) < operations["tested"], f"the token opened no operation of {service}: {refused}"
    return result


def _failures(result: dict[str, object]) -> set[tuple[str, str]]:
    found = set()
    for failure in result["failures"]:  # type: ignore[attr-defined]
        for operation in failure["operations"]:
            found.add((operation, failure["code"]))
    return found


@pytest.mark.parametrize("service", ["journal", "access", "conversion", "svarut-gateway"])
def test_no_5xx_and_no_schema_violation(suite: RunningSuite, fuzz_client: tuple[str, str], service: str,
                                        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = fuzz(suite, service, token(suite, service, fuzz_client), tmp_path / f"{service}.json", capsys)
    assert not result["errors"], result["errors"]
    assert _failures(result) == set(), json.dumps(result["failures"], indent=1)
    if service == "journal":
        # Nothing but the fuzzer registers in this suite: a journalpost means it reached registration.
        registered = suite.http.get(f"{suite.base}/journal/journalposter",
                                    headers={"Authorization": f"Bearer {token(suite, service, fuzz_client)}"})
        assert registered.status_code == 200 and registered.json()["count"] > 0, registered.text[:500]
