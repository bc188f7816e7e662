"""The links the journal hands out (Location) work as given, in the one-process suite where it
is mounted under /journal, and behind an ingress that strips /journal and forwards it."""

from __future__ import annotations

import json
from datetime import date

import httpx

from suite_harness import Suite, pdf_bytes, suite

__all__ = ["suite"]  # the fixture, imported for pytest


async def test_every_location_the_journal_answers_can_be_followed_as_given(suite: Suite) -> None:
    fagsystem = await suite.client_token("demo-fagsystem", "journal.read journal.write")
    case = await suite.journal("POST", "/saksmapper", fagsystem, json={
        "tittel": "Byggesak Storgata 1", "administrativEnhet": suite.units["HO-BV"]})
    assert case.status_code == 201, case.text
    case_id = case.json()["systemID"]
    assert case.headers["Location"] == f"/journal/saksmapper/{case_id}"

    registered = await suite.journal("POST", f"/saksmapper/{case_id}/journalposter", fagsystem,
                                     files={"journalpost": (None, json.dumps({
                                                     "journalposttype": "I", "tittel": "Søknad",
                                                     "mottattDato": date.today().isoformat()}),
                                                            "application/json"),
                                            "soknad.pdf": ("soknad.pdf", pdf_bytes(), "application/pdf")})
    assert registered.status_code == 201, registered.text
    jp = registered.json()["systemID"]
    assert registered.headers["Location"] == f"/journal/journalposter/{jp}"

    for location, expected in ((case.headers["Location"], case_id), (registered.headers["Location"], jp)):
        followed = await suite.call("GET", location, fagsystem)
        assert followed.status_code == 200, (location, followed.text)
        assert followed.json()["systemID"] == expected


async def test_behind_an_ingress_the_prefix_it_stripped_comes_back_in_the_links(suite: Suite) -> None:
    """The ingress sends https://host/journal/saksmapper to the journal as /saksmapper with
    X-Forwarded-Prefix: /journal (deploy/k8s/base/ingress.yaml); the journal app alone, as on
    Kubernetes, answers with links under /journal."""
    journal = next(s for s in suite.app.state.services if s.name == "journal").app

    fagsystem = await suite.client_token("demo-fagsystem", "journal.read journal.write")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=journal), base_url="http://journal") as direct:
        created = await direct.post("/saksmapper", headers={
            "Authorization": f"Bearer {fagsystem}", "X-Forwarded-Prefix": "/journal"},
            json={"tittel": "Byggesak Storgata 2", "administrativEnhet": suite.units["HO-BV"]})
    assert created.status_code == 201, created.text
    assert created.headers["Location"] == f"/journal/saksmapper/{created.json()['systemID']}"
    # …which is exactly the path the caller uses through the ingress (here: the suite's mount).
    assert (await suite.call("GET", created.headers["Location"], fagsystem)).status_code == 200
