"""A disabled account's token, still within its lifetime, is refused exactly as every other
invalid token is (401, the same problem) — by the journal, the conversion service, the SvarUt
gateway and intake alike, each from its own read model of AccountDisabled — on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from hostile_suite import RunningSuite, suite_on


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def suite(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSuite]:
    with suite_on(request.param, tmp_path_factory.mktemp(f"tokens-{request.param}") / "var") as running:
        yield running


def _refusal(response: httpx.Response) -> tuple[int, str, str, str | None]:
    body = response.json()
    return response.status_code, body["type"], body["detail"], response.headers.get("www-authenticate")


# Per service: a call the client may make, and the scopes it needs.
CALLS = {
    "journal": ("/journal/journalposter", "journal.read journal.write"),
    "conversion": ("/conversion/internal/engines", "conversion.report"),
    "svarut-gateway": (f"/svarut-gateway/dispatches?journalpost_id={uuid.uuid4()}", "svarut-gateway.read"),
    "intake": ("/intake/epost", "intake.epost"),
}


def test_a_disabled_accounts_valid_token_gets_the_401_of_every_invalid_token(suite: RunningSuite) -> None:
    admin = {"Authorization": "Bearer " + suite.person_token("arkivleder", "access")}
    created = suite.http.post(f"{suite.base}/access/clients", headers=admin, json={
        "client_id": f"leaving-{suite.backend}", "role": "fagsystem", "valid_from": datetime.date.today().isoformat(),
        "allowed_scopes": [scope for _, scopes in CALLS.values() for scope in scopes.split()]})
    assert created.status_code == 201, created.text
    client = created.json()
    tokens = {service: suite.client_token(client["client_id"], scopes, service, secret=client["client_secret"])
              for service, (_, scopes) in CALLS.items()}
    for service, (path, _) in CALLS.items():
        answer = suite.http.get(f"{suite.base}{path}", headers={"Authorization": f"Bearer {tokens[service]}"})
        assert answer.status_code == 200, (service, answer.text)

    disabled = suite.http.post(f"{suite.base}/access/accounts/{client['account_id']}/disable", headers=admin,
                               json={"disabled_from": datetime.date.today().isoformat()})
    assert disabled.status_code == 200, disabled.text

    for service, (path, _) in CALLS.items():
        token = tokens[service]
        deadline = time.monotonic() + 30  # AccountDisabled reaches each service's read model over the bus
        while True:
            answer = suite.http.get(f"{suite.base}{path}", headers={"Authorization": f"Bearer {token}"})
            if answer.status_code != 200 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        forged = suite.http.get(f"{suite.base}{path}", headers={"Authorization": f"Bearer {token[:-4]}AAAA"})
        assert _refusal(forged)[0] == 401
        assert _refusal(answer) == _refusal(forged), (service, answer.text)

    # Refused before its scopes are looked at: a write gets the same answer, not a 403.
    token = tokens["journal"]
    forged = suite.http.get(f"{suite.base}/journal/journalposter", headers={"Authorization": f"Bearer {token[:-4]}AAAA"})
    write = suite.http.post(f"{suite.base}/journal/saksmapper", headers={"Authorization": f"Bearer {token}"},
                            json={"tittel": "Sak", "administrativEnhet": suite.units["HO-BV"]})
    assert _refusal(write)[:3] == _refusal(forged)[:3]
