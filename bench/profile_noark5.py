"""Profile one registration through the Noark 5 interface in process, as profile_registration.py
profiles our own API's: the same harness, the same unit of work as bench_noark5.py measures —
POST the journalpost (two korrespondanseparter) to the case's `ny-journalpost`, then the 100 KB
PDF to the new journalpost's `fil` link.

Run: ``ARKIV5_BENCH_POSTGRES_URL=postgresql+asyncpg://… uv run python bench/profile_noark5.py
[registrations] [postgres|sqlite] [top] [noark5|own-two]`` (arguments, output and
ARKIV5_PROFILE_OUT as in profile_registration.py). `own-two` profiles the same two requests
through our own API instead (the journalpost as JSON, then the file to
`/journalposter/{id}/dokumenter`): what two requests cost apart from the Noark 5 layer.
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


async def _own_two_registrations(client: httpx.AsyncClient, headers: dict[str, str], cases: list[str],
                                count: int) -> None:
    for i in range(count):
        created = await client.post(f"/saksmapper/{cases[i % len(cases)]}/journalposter",
                                    headers={**headers, "Content-Type": "application/json"},
                                    content=json.dumps(BODY).encode())
        assert created.status_code == 201, created.text
        uploaded = await client.post(f"/journalposter/{created.json()['systemID']}/dokumenter",
                                     params={"tittel": "Søknad"}, content=DOCUMENT,
                                     headers={**headers, "Content-Type": "application/pdf"})
        assert uploaded.status_code == 201, uploaded.text


if __name__ == "__main__":
    modes = {"noark5": _noark5_registrations, "own-two": _own_two_registrations}
    mode = sys.argv[4] if len(sys.argv) > 4 else "noark5"
    if mode not in modes:
        raise SystemExit("usage: profile_noark5.py [registrations] [postgres|sqlite] [top] [noark5|own-two]")
    profile_registration._registrations = modes[mode]
    arguments = sys.argv[1:]
    chosen = arguments[1] if len(arguments) > 1 else "postgres"
    if chosen not in ("postgres", "sqlite"):
        raise SystemExit("usage: profile_noark5.py [registrations] [postgres|sqlite] [top]")
    asyncio.run(profile_registration.main(int(arguments[0]) if arguments else 200, chosen,
                                          int(arguments[2]) if len(arguments) > 2 else 15))
