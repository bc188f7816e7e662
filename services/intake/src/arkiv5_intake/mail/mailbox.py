"""The IMAP mailbox, behind one small interface (imap-tools; password or XOAUTH2; IDLE where offered).

imap-tools is blocking; callers run these methods in a thread. Each call opens its own
connection, so a dropped connection costs one round and nothing else.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from imap_tools import BaseMailBox, MailBox, MailBoxUnencrypted


class Mailbox(Protocol):
    def fetch_all(self) -> list[tuple[str, bytes]]: ...
    def move(self, uid: str, folder: str) -> None: ...
    def wait(self, timeout_s: float) -> None: ...


@dataclass(frozen=True)
class ImapConfig:
    host: str
    port: int
    ssl: bool
    username: str
    password: str | None
    auth: str  # "password" or "xoauth2"
    access_token: str | None
    inbox: str


class ImapMailbox:
    def __init__(self, config: ImapConfig) -> None:
        self.config = config

    @contextlib.contextmanager
    def _open(self, folder: str | None = None) -> Iterator[BaseMailBox]:
        c = self.config
        box: BaseMailBox = MailBox(c.host, c.port, timeout=30) if c.ssl else MailBoxUnencrypted(c.host, c.port,
                                                                                                 timeout=30)
        initial = folder or c.inbox
        if c.auth == "xoauth2":
            box.xoauth2(c.username, c.access_token or "", initial_folder=initial)
        else:
            box.login(c.username, c.password or "", initial_folder=initial)
        try:
            yield box
        finally:
            with contextlib.suppress(Exception):
                box.logout()

    def fetch_all(self) -> list[tuple[str, bytes]]:
        """Every message in the inbox as (uid, the exact bytes the server holds); nothing is marked seen."""
        out: list[tuple[str, bytes]] = []
        with self._open() as box:
            for uid in box.uids():
                status, data = box.client.uid("FETCH", uid, "(BODY.PEEK[])")
                if status != "OK":
                    continue
                raw = next((item[1] for item in data if isinstance(item, tuple) and len(item) > 1), None)
                if isinstance(raw, bytes):
                    out.append((uid, raw))
        return out

    def move(self, uid: str, folder: str) -> None:
        with self._open() as box:
            if not box.folder.exists(folder):
                box.folder.create(folder)
            box.move(uid, folder)

    def wait(self, timeout_s: float) -> None:
        """Until the server reports a change (IDLE) or `timeout_s` has passed."""
        with self._open() as box:
            if "IDLE" in box.client.capabilities:
                box.idle.wait(timeout=timeout_s)
                return
        import time

        time.sleep(timeout_s)
