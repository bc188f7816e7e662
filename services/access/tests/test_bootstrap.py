"""`arkiv5-access bootstrap` run twice, as an operator runs it: the second run changes nothing."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

from .conftest import Access

# `python -m arkiv5_access`, in its own process as an operator runs it, but with argon2 at its
# smallest cost, as the root conftest's `cheap_secret_hashing` sets it in the test process. At
# argon2's defaults the two runs make nine hashes (the seven secrets and, in each process, the
# dummy hash made at import) at 0.3 s each on a quiet 2-core machine and ~1 s under load. The
# hashes stay argon2id and are checked the same way.
_CHEAP_ARGON2_MAIN = """
import runpy, argon2
class _Cheap(argon2.PasswordHasher):
    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
argon2.PasswordHasher = _Cheap
runpy.run_module("arkiv5_access", run_name="__main__", alter_sys=True)
"""


def _run(database_url: str, var_dir: Path, secrets_file: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ACCESS_DATABASE_URL": database_url, "ACCESS_VAR_DIR": str(var_dir)}
    return subprocess.run([sys.executable, "-c", _CHEAP_ARGON2_MAIN, "bootstrap", "--secrets-file", str(secrets_file)],
                          env=env, capture_output=True, text=True, timeout=300, check=False)


def _secrets(path: Path) -> dict[str, str]:
    lines = [line for line in path.read_text().splitlines() if line and not line.startswith("#")]
    return dict(line.split("=", 1) for line in lines)


async def test_bootstrap_twice_makes_everything_once_and_keeps_secrets_off_the_terminal(
    db_backend: Any, tmp_path: Path, make_access: Any,
) -> None:
    secrets_file = tmp_path / "secrets" / "bootstrap.env"
    first = _run(db_backend.url, tmp_path, secrets_file)
    assert first.returncode == 0, first.stderr
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    made = _secrets(secrets_file)
    assert set(made) == {"ONE_TIME_PASSWORD_ARKIVLEDER", "ONE_TIME_PASSWORD_SYSTEMANSVARLIG", "JOURNAL_CLIENT_SECRET",
                         "ACCESS_CLIENT_SECRET", "CONVERSION_CLIENT_SECRET", "SVARUT_GATEWAY_CLIENT_SECRET",
                         "INTAKE_CLIENT_SECRET"}
    assert str(secrets_file) in first.stdout
    assert not any(value in first.stdout + first.stderr for value in made.values())

    second = _run(db_backend.url, tmp_path, secrets_file)
    assert second.returncode == 0, second.stderr
    assert "Nothing changed" in second.stdout and "created" not in second.stdout
    assert _secrets(secrets_file) == made

    # What it made works: the journal's client gets its scopes; the arkivleder must change the one-time password.
    access: Access = await make_access(seed_demo=False)
    token = await access.client.post("/oauth2/token", auth=("journal", made["JOURNAL_CLIENT_SECRET"]),
                                     data={"grant_type": "client_credentials", "audience": "access"})
    assert token.status_code == 200, token.text
    assert set(token.json()["scope"].split()) == {"access.audit.write", "access.decisions", "access.groups.write",
                                                  "access.rights.read"}
    signin = await access.client.post("/oauth2/token", data={
        "grant_type": "password", "username": "arkivleder", "password": made["ONE_TIME_PASSWORD_ARKIVLEDER"]})
    assert signin.status_code == 400 and signin.json()["type"].endswith("password-change-required"), signin.text
    changed = await access.client.post("/password-change", json={
        "username": "arkivleder", "password": made["ONE_TIME_PASSWORD_ARKIVLEDER"], "new_password": "et godt passord"})
    assert changed.status_code == 200, changed.text
    signin = await access.client.post("/oauth2/token", data={
        "grant_type": "password", "username": "arkivleder", "password": "et godt passord", "audience": "access"})
    assert signin.status_code == 200, signin.text
    assert "access.rights.admin" in signin.json()["scope"].split()
