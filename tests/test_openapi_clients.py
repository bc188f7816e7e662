"""A client generated from each service's OpenAPI document works, as a fagsystem developer
would use it: `openapi-python-client generate`, import, call.

The documents are read from the running suite over HTTP (what a developer downloads), the
generator must not warn (a warning means a piece of the API is missing from the client), and
the README's fagsystem walk — a case, an incoming letter with its PDF, search, the document
downloaded byte for byte, the public journal — runs through the generated journal client
with a token from the generated access client.
"""

from __future__ import annotations

import collections
import hashlib
import importlib
import io
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

from suite_harness import SECRET, Suite, eventually, pdf_bytes, suite

__all__ = ["suite"]  # the fixture, imported for pytest

SERVICES = ("journal", "access", "conversion", "svarut-gateway", "intake")


async def test_every_service_gets_a_complete_client_with_readable_names(suite: Suite, tmp_path: Path) -> None:
    problems = []
    for service in SERVICES:
        raw = (await suite.http.get(f"{suite.base}/{service}/openapi.json")).content
        spec = json.loads(raw)
        ids = [op["operationId"] for item in spec["paths"].values() for op in item.values()
               if isinstance(op, dict) and "operationId" in op]
        duplicates = [name for name, n in collections.Counter(ids).items() if n > 1]
        # Every OpenAPI link (what stateful fuzzing and a client follow) names an operation that exists.
        dangling = [link["operationId"] for item in spec["paths"].values() for op in item.values()
                    if isinstance(op, dict) for answer in op.get("responses", {}).values()
                    for link in answer.get("links", {}).values() if link.get("operationId") not in ids]
        if dangling:
            problems.append(f"{service}: links to operations that do not exist: {dangling}")
        if duplicates:
            problems.append(f"{service}: operationIds used twice: {duplicates}")
        # The handler's name, not FastAPI's default "<name>_<path>_<method>".
        if defaults := [i for i in ids if i.endswith(("_get", "_post", "_patch", "_put", "_delete"))]:
            problems.append(f"{service}: default operationIds {defaults}")
        (tmp_path / f"{service}.json").write_bytes(raw)
        output = generate(tmp_path / f"{service}.json", tmp_path / f"{service.replace('-', '_')}_client")
        if "warning" in output.lower():
            problems.append(f"{service}: the generator warned:\n{output}")
    assert not problems, "\n".join(problems)


def generate(spec_path: Path, out: Path) -> str:
    """Run the generator; its output (warnings included) is returned for the assertion."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(
        [str(Path(sys.executable).parent / "openapi-python-client"), "generate", "--path", str(spec_path),
         "--output-path", str(out), "--meta", "none"],
        capture_output=True, text=True, env=env, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def generated_client(suite_spec: bytes, tmp_path: Path, package: str) -> Any:
    """Generate `package` from an OpenAPI document and import it."""
    spec = tmp_path / f"{package}.json"
    spec.write_bytes(suite_spec)
    generate(spec, tmp_path / package)
    sys.path.insert(0, str(tmp_path))
    try:
        return importlib.import_module(package)
    finally:
        sys.path.remove(str(tmp_path))


async def test_the_readme_walk_through_generated_clients(suite: Suite, tmp_path: Path) -> None:
    access_client = generated_client((await suite.http.get(f"{suite.base}/access/openapi.json")).content,
                                     tmp_path, "arkiv5_access_client")
    journal_client = generated_client((await suite.http.get(f"{suite.base}/journal/openapi.json")).content,
                                      tmp_path, "arkiv5_journal_client")

    def op(package: Any, tag: str, name: str) -> Any:
        return importlib.import_module(f"{package.__name__}.api.{tag}.{name}")

    def model(package: Any, name: str) -> Any:
        return getattr(importlib.import_module(f"{package.__name__}.models"), name)

    # A fagsystem's token, from access's generated client (client credentials).
    anonymous = access_client.Client(base_url=f"{suite.base}/access")
    token = await op(access_client, "tokens", "token").asyncio_detailed(client=anonymous, body=model(
        access_client, "BodyToken")(grant_type="client_credentials", client_id="demo-fagsystem",
                                    client_secret=SECRET, audience="journal", scope="journal.read journal.write"))
    assert token.status_code == 200, token.content
    journal = journal_client.AuthenticatedClient(base_url=f"{suite.base}/journal",
                                                 token=json.loads(token.content)["access_token"])

    # A case.
    case = await op(journal_client, "journal", "create_saksmappe").asyncio_detailed(client=journal, body=model(
        journal_client, "SaksmappeCreate")(tittel="Byggesak Storgata 1 - tilbygg",
                                           administrativ_enhet=UUID(suite.units["HO-BV"])))
    assert case.status_code == 201, case.content
    assert type(case.parsed).__name__ == "SaksmappeOut"

    # An incoming letter with its PDF, in one multipart request.
    document = pdf_bytes()
    body = model(journal_client, "RegisterJournalpostFilesBody")(journalpost=model(journal_client, "JournalpostCreate")(
        journalposttype=model(journal_client, "Journalposttype").I, tittel="Søknad om tilbygg",
        mottatt_dato=date.today()))
    types = importlib.import_module(f"{journal_client.__name__}.types")
    body["soknad"] = types.File(payload=io.BytesIO(document), file_name="soknad.pdf", mime_type="application/pdf")
    registered = await op(journal_client, "journal", "register_journalpost").asyncio_detailed(
        case.parsed.system_id, client=journal, body=body)
    assert registered.status_code == 201, registered.content
    journalpost = registered.parsed
    [dokument] = journalpost.dokumentbeskrivelse
    [objekt] = dokument.dokumentobjekt

    # Search finds it.
    async def found() -> bool:
        hits = await op(journal_client, "journal", "sok").asyncio_detailed(client=journal, q="tilbygg")
        assert hits.status_code == 200, hits.content
        return any(h.system_id == journalpost.system_id for h in hits.parsed.results)
    assert await eventually(found, what="the journalpost in search")

    # The document comes back byte for byte.
    downloaded = await op(journal_client, "journal", "download").asyncio_detailed(objekt.system_id, client=journal)
    assert downloaded.status_code == 200
    assert downloaded.parsed.payload.read() == document
    assert hashlib.sha256(document).hexdigest() == objekt.sjekksum

    # The public journal lists it.
    public = await op(journal_client, "journal", "offentlig_journal").asyncio_detailed(
        client=journal, fra=date.today(), til=date.today())
    assert public.status_code == 200, public.content
    assert any(row.offentlig_tittel == "Søknad om tilbygg" for row in public.parsed)
