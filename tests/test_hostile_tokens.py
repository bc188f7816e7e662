"""A disabled account's token, still within its lifetime, is refused by the journal exactly as
every other invalid token is (401, the same problem), on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime
import time
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


def test_a_disabled_accounts_valid_token_gets_the_401_of_every_invalid_token(suite: RunningSuite) -> None:
    admin = {"Authorization": "Bearer " + suite.person_token("arkivleder", "access")}
    created = suite.http.post(f"{suite.base}/access/clients", headers=admin, json={
        "client_id": f"leaving-{suite.backend}", "role": "fagsystem", "valid_from": datetime.date.today().isoformat(),
        "allowed_scopes": ["journal.read", "journal.write"]})
    assert created.status_code == 201, created.text
    client = created.json()
    token = suite.client_token(client["client_id"], "journal.read journal.write", "journal",
                               secret=client["client_secret"])
    url = f"{suite.base}/journal/journalposter"
    assert suite.http.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 200

    disabled = suite.http.post(f"{suite.base}/access/accounts/{client['account_id']}/disable", headers=admin,
                               json={"disabled_from": datetime.date.today().isoformat()})
    assert disabled.status_code == 200, disabled.text

    deadline = time.monotonic() + 30  # AccountDisabled reaches the journal's read model over the bus
    while True:
        answer = suite.http.get(url, headers={"Authorization": f"Bearer {token}"})
        if answer.status_code != 200 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    forged = suite.http.get(url, headers={"Authorization": f"Bearer {token[:-4]}AAAA"})
    assert _refusal(forged)[0] == 401
    assert _refusal(answer) == _refusal(forged), answer.text
    # Refused before its scopes are looked at: a write gets the same answer, not a 403.
    write = suite.http.post(f"{suite.base}/journal/saksmapper", headers={"Authorization": f"Bearer {token}"},
                            json={"tittel": "Sak", "administrativEnhet": suite.units["HO-BV"]})
    assert _refusal(write)[:3] == _refusal(forged)[:3]
