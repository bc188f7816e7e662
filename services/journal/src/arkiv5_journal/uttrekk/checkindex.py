"""The validator's index of what it has seen: systemIDs, referenced files and their checksums.

Kept in a temporary SQLite file, not in memory, so the validator's memory stays flat however
large the extraction.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path


class CheckIndex:
    """SystemIDs and referenced files, on disk."""

    def __init__(self, folder: Path) -> None:
        self.db = sqlite3.connect(folder / "index.sqlite")
        self.db.execute("CREATE TABLE ids (id TEXT PRIMARY KEY)")
        # A referenced file's SHA-256 is kept as the dokumentobjekt's check computes it, so the
        # walk over dokumenter/ compares it with arkivuttrekk.xml without reading the file again.
        self.db.execute("CREATE TABLE files (path TEXT PRIMARY KEY, sha256 TEXT)")
        self.db.execute("CREATE TABLE sums (path TEXT PRIMARY KEY, sha256 TEXT)")

    def add_sum(self, path: str, sha256: str) -> None:
        """A document file's SHA-256 as arkivuttrekk.xml lists it."""
        self.db.execute("INSERT OR REPLACE INTO sums VALUES (?, ?)", (path, sha256))

    def sum_of(self, path: str) -> str | None:
        found = self.db.execute("SELECT sha256 FROM sums WHERE path = ?", (path,)).fetchone()
        return str(found[0]) if found else None

    def add_id(self, value: str) -> bool:
        try:
            self.db.execute("INSERT INTO ids VALUES (?)", (value,))
        except sqlite3.IntegrityError:
            return False
        return True

    def has_id(self, value: str) -> bool:
        return self.db.execute("SELECT 1 FROM ids WHERE id = ?", (value,)).fetchone() is not None

    def add_file(self, path: str, sha256: str | None = None) -> None:
        """A file a dokumentobjekt references, with its SHA-256 when it was read."""
        self.db.execute("INSERT INTO files VALUES (?, ?) ON CONFLICT (path) DO UPDATE "
                        "SET sha256 = coalesce(excluded.sha256, files.sha256)", (path, sha256))

    def file(self, path: str) -> tuple[bool, str | None]:
        """Whether a dokumentobjekt references the file, and its SHA-256 if that was computed."""
        found = self.db.execute("SELECT sha256 FROM files WHERE path = ?", (path,)).fetchone()
        return (False, None) if found is None else (True, found[0])
