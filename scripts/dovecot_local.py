#!/usr/bin/env python3
"""Run a real Dovecot IMAP server (Debian's dovecot-imapd) for tests and local distributed runs.

The intake service polls a central mailbox over IMAP; its tests deliver an .eml corpus into
a real server rather than a mock. No system service: one Dovecot with its configuration,
mail, logs and sockets inside the state folder, listening on 127.0.0.1 only, plain IMAP
(no TLS) with one mailbox user.

    python3 scripts/dovecot_local.py start --state-dir var/dovecot --port 10143
    python3 scripts/dovecot_local.py stop --state-dir var/dovecot

The user is ``postmottak`` with password ``postmottak`` (``--user``/``--password``).
Importable for pytest fixtures (standard library only)::

    server = DovecotServer(tmp_path / "dovecot", port=free_port()).start()
    ...
    server.stop()
"""

from __future__ import annotations

import argparse
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BINARY_DIRS = ("/usr/sbin", "/usr/local/sbin")


def dovecot_binary() -> str | None:
    found = shutil.which("dovecot")
    if found:
        return found
    for folder in BINARY_DIRS:
        candidate = Path(folder) / "dovecot"
        if candidate.is_file():
            return str(candidate)
    return None


class DovecotServer:
    def __init__(self, state_dir: Path, *, port: int = 10143, user: str = "postmottak",
                 password: str = "postmottak") -> None:
        self.state_dir = Path(state_dir).resolve()
        self.port = port
        self.user = user
        self.password = password

    @property
    def config(self) -> Path:
        return self.state_dir / "dovecot.conf"

    def _write_config(self) -> None:
        root = os.getuid() == 0
        owner = pwd.getpwuid(os.getuid()).pw_name
        # Dovecot's login processes run as an unprivileged user (Debian's dovenull when started
        # as root) and reach the sockets in base_dir: it lives in a short, world-traversable
        # folder of its own, since a test's private temporary folder is not.
        base = Path(tempfile.mkdtemp(prefix="arkiv5-dovecot-"))
        base.chmod(0o755)
        (self.state_dir / "base_dir").write_text(str(base))
        # Dovecot never reads mail as uid 0: as root the mail belongs to Debian's dovecot user.
        mail_user = pwd.getpwnam("dovecot") if root else pwd.getpwuid(os.getuid())
        mail = base / "mail"
        mail.mkdir()
        os.chown(mail, mail_user.pw_uid, mail_user.pw_gid)
        users = base / "users"  # read by the auth process (Debian's dovecot user as root)
        users.write_text(f"{self.user}:{{PLAIN}}{self.password}::::::\n")
        users.chmod(0o644)
        self.config.write_text(f"""# Written by scripts/dovecot_local.py
base_dir = {base}
state_dir = {self.state_dir / "state"}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
log_path = {self.state_dir / "dovecot.log"}
default_internal_user = {"dovecot" if root else owner}
default_internal_group = {"dovecot" if root else owner}
default_login_user = {"dovenull" if root else owner}
first_valid_uid = {mail_user.pw_uid}
mail_location = maildir:{mail}/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {users}
}}
userdb {{
  driver = static
  args = uid={mail_user.pw_uid} gid={mail_user.pw_gid} home={mail}/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
service pop3-login {{
  chroot =
}}
protocol imap {{
  imap_idle_notify_interval = 1 secs
}}
""")
        (self.state_dir / "state").mkdir(exist_ok=True)

    def start(self, timeout_s: float = 30) -> DovecotServer:
        binary = dovecot_binary()
        if binary is None:
            raise RuntimeError("dovecot is not installed (apt-get install dovecot-imapd)")
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self._write_config()
        subprocess.run([binary, "-c", str(self.config)], check=True, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as connection:
                    if connection.recv(100).startswith(b"* OK"):
                        return self
            except OSError:
                time.sleep(0.1)
        log = (self.state_dir / "dovecot.log")
        raise RuntimeError(f"dovecot did not start: {log.read_text()[-2000:] if log.exists() else ''}")

    def stop(self) -> None:
        binary = dovecot_binary()
        if binary is None or not self.config.exists():
            return
        subprocess.run([binary, "-c", str(self.config), "stop"], check=False, capture_output=True)
        marker = self.state_dir / "base_dir"
        base = Path(marker.read_text()) if marker.exists() else None
        deadline = time.monotonic() + 15
        while base is not None and (base / "master.pid").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        if base is not None:
            shutil.rmtree(base, ignore_errors=True)
            marker.unlink(missing_ok=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["start", "stop"])
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--port", type=int, default=10143)
    parser.add_argument("--user", default="postmottak")
    parser.add_argument("--password", default="postmottak")
    args = parser.parse_args()
    server = DovecotServer(args.state_dir, port=args.port, user=args.user, password=args.password)
    if args.command == "start":
        server.start()
        print(f"dovecot IMAP on 127.0.0.1:{args.port} (user {args.user}), state in {server.state_dir}")
    else:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
