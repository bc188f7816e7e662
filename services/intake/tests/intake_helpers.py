"""Intake in front of a real, in-process journal (SQLite), both behind tokens of one test issuer."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from lxml import etree

from arkiv5_intake.app import create_app
from arkiv5_intake.journal_client import HttpJournalClient
from arkiv5_intake.settings import IntakeSettings
from arkiv5_journal.app import create_app as create_journal_app
from arkiv5_journal.settings import JournalSettings
from arkiv5_kit.testing import TestTokenIssuer
from arkiv5_kit.transport.embedded import EmbeddedTransport

CASES = "fiks-arkiv/validator-cases"


class IssuerAuth(httpx.Auth):
    """Intake's service token for the journal, minted by the test issuer (a fagsystem client)."""

    def __init__(self, issuer: TestTokenIssuer) -> None:
        self.issuer = issuer

    def auth_flow(self, request: httpx.Request):  # type: ignore[no-untyped-def,override]
        request.headers.update(self.issuer.headers(sub="intake", audience="journal",
                                                   scopes=["journal.read", "journal.write"], roles=["fagsystem"]))
        yield request


@dataclass
class Wired:
    intake: Any
    journal: Any
    client: httpx.AsyncClient
    journal_client: httpx.AsyncClient
    issuer: TestTokenIssuer

    def headers(self, meldingstype: str, klient_melding_id: str) -> dict[str, str]:
        return {**self.issuer.headers(sub="fagsystem-byggesak", audience="intake", scopes=["intake.fiks-arkiv"]),
                "Fiks-Meldingstype": meldingstype, "Klient-Melding-Id": klient_melding_id}

    async def send(self, meldingstype: str, klient_melding_id: str, xml: bytes,
                   attachments: dict[str, bytes] | None = None) -> list[dict[str, Any]]:
        headers = self.headers(meldingstype, klient_melding_id)
        if attachments:
            files = [("melding", ("melding.xml", xml, "application/xml"))]
            files += [(name, (name, data, "application/octet-stream")) for name, data in attachments.items()]
            response = await self.client.post("/fiks-arkiv/meldinger", headers=headers, files=files)
        else:
            response = await self.client.post("/fiks-arkiv/meldinger", headers={
                **headers, "Content-Type": "application/xml"}, content=xml)
        assert response.status_code == 200, response.text
        return list(response.json()["svar"])

    def epost_headers(self) -> dict[str, str]:
        return self.issuer.headers(sub="arkivtjeneste", audience="intake", scopes=["intake.epost"])

    def journal_headers(self) -> dict[str, str]:
        return self.issuer.headers(sub="arkiv", audience="journal", scopes=["journal.read", "journal.write"],
                                   roles=["fagsystem"])


async def wire(tmp_path: Path, app_kwargs: dict[str, Any] | None = None,
               **intake_settings: Any) -> AsyncIterator[Wired]:
    issuer = TestTokenIssuer()
    bus = EmbeddedTransport(f"sqlite+aiosqlite:///{tmp_path}/bus.sqlite")
    journal_app = create_journal_app(JournalSettings(var_dir=tmp_path, environment="test"), bus=bus)
    journal_app.state.token_verifier = issuer.verifier("journal")
    journal_http = httpx.AsyncClient(transport=httpx.ASGITransport(app=journal_app), base_url="http://journal",
                                     timeout=60)
    journal_client = HttpJournalClient(journal_http, base_url="http://journal", auth=IssuerAuth(issuer))
    intake_app = create_app(IntakeSettings(var_dir=tmp_path, environment="test", **intake_settings), bus=bus,
                            journal=journal_client, **(app_kwargs or {}))
    intake_app.state.token_verifier = issuer.verifier("intake")
    await bus.start()
    await journal_app.state.runtime.start()
    await intake_app.state.runtime.start()
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=intake_app), base_url="http://intake",
                                     timeout=60) as client:
            yield Wired(intake_app, journal_app, client, journal_http, issuer)
    finally:
        await intake_app.state.runtime.stop()
        await journal_app.state.runtime.stop()
        await journal_http.aclose()
        await bus.stop()


def load_test_information(path: Path) -> dict[str, Any]:
    """testInformation.json as Newtonsoft reads it: a BOM and // comments outside strings are allowed."""
    raw = path.read_text(encoding="utf-8-sig")
    out, in_string, i = [], False, 0
    while i < len(raw):
        c = raw[i]
        if in_string:
            out.append(c)
            if c == "\\" and i + 1 < len(raw):
                out.append(raw[i + 1])
                i += 1
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
            out.append(c)
        elif raw.startswith("//", i):
            while i < len(raw) and raw[i] != "\n":
                i += 1
            continue
        else:
            out.append(c)
        i += 1
    return dict(json.loads("".join(out)))


def check_query(xml: str, query: dict[str, Any]) -> str | None:
    """One of the validator's XPath checks on a payload: None when it passes, else what is wrong.

    As FiksResponseValidator does: each `/x` step matches local name x in any namespace; the
    first match counts; valueType 0 = non-blank text (or exactly the expected value), 1 = some
    attribute equals the expected value (a `*` in it makes it a contains test).
    """
    root = etree.fromstring(xml.encode())
    path = "/" + "/".join(f"*[local-name()='{step}']" for step in query["payloadQuery"].strip("/").split("/"))
    found = root.getroottree().xpath(path)
    if not found:
        return f"{query['payloadQuery']}: no such element"
    element = found[0]
    expected = str(query["expectedValue"])
    if query["valueType"] == 0:
        value = (element.text or "").strip()
        if not value:
            return f"{query['payloadQuery']}: blank"
        if expected != "*" and value != expected:
            return f"{query['payloadQuery']}: {value!r} != {expected!r}"
        return None
    values = list(element.attrib.values())
    if "*" in expected:
        needle = expected.replace("*", "")
        ok = any(needle in v for v in values)
    else:
        ok = expected in values
    return None if ok else f"{query['payloadQuery']}: no attribute {expected!r} in {values}"


def reencode(original: bytes, text: str) -> bytes:
    """`text` in the encoding of `original` (UTF-16LE with BOM, UTF-8 with or without BOM)."""
    if original.startswith(b"\xff\xfe"):
        return b"\xff\xfe" + text.encode("utf-16-le")
    if original.startswith(b"\xef\xbb\xbf"):
        return b"\xef\xbb\xbf" + text.encode("utf-8")
    return text.encode("utf-8")


def decode(original: bytes) -> str:
    if original.startswith(b"\xff\xfe"):
        return original[2:].decode("utf-16-le")
    return original.decode("utf-8-sig")


def substitute(original: bytes, replacements: dict[str, str]) -> bytes:
    """The message with placeholders the validator says to replace ("…must exist in the receiving archive")."""
    text = decode(original)
    for old, new in replacements.items():
        text = re.sub(re.escape(old), new, text)
    return reencode(original, text)
