"""Profile one registration through the Noark 5 interface in process, as profile_registration.py
profiles our own API's: the same harness, the same unit of work as bench_noark5.py measures —
POST the journalpost (two korrespondanseparter) to the case's `ny-journalpost`, then the 100 KB
PDF to the new journalpost's `fil` link.

Run: ``ARKIV5_BENCH_POSTGRES_URL=postgresql+asyncpg://… uv run python bench/profile_noark5.py
[registrations] [postgres|sqlite] [top]`` (arguments, output and ARKIV5_PROFILE_OUT as in
profile_registration.py).
"""

from __future__ import annotations

import asyncio
import json
import sys

import httpx
import profile_registration
from bench_journal import BODY, DOCUMENT


async def _noark5_registrations(client: httpx.AsyncClient, headers: dict[str, str], cases: list[str],
                                count: int) -> None:
    for i in range(count):
        created = await client.post(f"/noark5/api/sakarkiv/saksmappe/{cases[i % len(cases)]}/ny-journalpost/",
                                    headers={**headers, "Content-Type": "application/json"},
                                    content=json.dumps(BODY).encode())
        assert created.status_code == 201, created.text
        uploaded = await client.post(f"/noark5/api/sakarkiv/journalpost/{created.json()['systemID']}/fil/",
                                     params={"tittel": "Søknad"}, content=DOCUMENT,
                                     headers={**headers, "Content-Type": "application/pdf"})
        assert uploaded.status_code == 201, uploaded.text


if __name__ == "__main__":
    profile_registration._registrations = _noark5_registrations
    arguments = sys.argv[1:]
    chosen = arguments[1] if len(arguments) > 1 else "postgres"
    if chosen not in ("postgres", "sqlite"):
        raise SystemExit("usage: profile_noark5.py [registrations] [postgres|sqlite] [top]")
    asyncio.run(profile_registration.main(int(arguments[0]) if arguments else 200, chosen,
                                          int(arguments[2]) if len(arguments) > 2 else 15))
