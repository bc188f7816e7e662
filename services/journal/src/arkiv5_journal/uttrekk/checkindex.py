"""The validator's index of what it has seen: systemIDs, referenced files and their checksums.

Kept in temporary SQLite files, not in memory, so the validator's memory stays flat however
large the extraction. The validator runs in two processes (see `validate.py`), each filling
an index of its own: the arkivstruktur pass its systemIDs and referenced files, the other
pass the checksums arkivuttrekk.xml lists, the files found in `dokumenter/` and the change
log's references. The rules across files are then answered by SQL over both, the second
attached to the first.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

REST = "rest"
"""The schema name the other pass's index is attached under."""


class CheckIndex:
    """SystemIDs, referenced files, listed checksums, found files and change-log references, on disk."""

    def __init__(self, path: Path, *, existing: bool = False) -> None:
        """A new index at `path`, or with `existing` the one a worker filled and closed there."""
        self.db = sqlite3.connect(path)
        if existing:
            return
        # A working file, thrown away afterwards: no rollback journal, no waiting for the disk.
        self.db.execute("PRAGMA journal_mode = OFF")
        self.db.execute("PRAGMA synchronous = OFF")
        self.db.execute("CREATE TABLE ids (id TEXT PRIMARY KEY)")
        # A referenced file's SHA-256 is kept as the dokumentobjekt's check computes it, so the
        # walk over dokumenter/ compares it with arkivuttrekk.xml without reading the file again.
        self.db.execute("CREATE TABLE files (path TEXT PRIMARY KEY, sha256 TEXT)")
        self.db.execute("CREATE TABLE sums (path TEXT PRIMARY KEY, sha256 TEXT)")
        # In the order met, so that the findings come in the order a single pass gave them.
        self.db.execute("CREATE TABLE found (seq INTEGER PRIMARY KEY, path TEXT)")
        self.db.execute("CREATE TABLE refs (seq INTEGER PRIMARY KEY, id TEXT)")

    def add_sum(self, path: str, sha256: str) -> None:
        """A document file's SHA-256 as arkivuttrekk.xml lists it."""
        self.db.execute("INSERT OR REPLACE INTO sums VALUES (?, ?)", (path, sha256))

    def add_id(self, value: str) -> bool:
        try:
            self.db.execute("INSERT INTO ids VALUES (?)", (value,))
        except sqlite3.IntegrityError:
            return False
        return True

    def add_file(self, path: str, sha256: str | None = None) -> None:
        """A file a dokumentobjekt references, with its SHA-256 when it was read."""
        self.db.execute("INSERT INTO files VALUES (?, ?) ON CONFLICT (path) DO UPDATE "
                        "SET sha256 = coalesce(excluded.sha256, files.sha256)", (path, sha256))

    def add_found(self, path: str) -> None:
        """A file found in dokumenter/."""
        self.db.execute("INSERT INTO found (path) VALUES (?)", (path,))

    def add_reference(self, system_id: str) -> None:
        """A change-log entry's referanseArkivenhet."""
        self.db.execute("INSERT INTO refs (id) VALUES (?)", (system_id,))

    def close(self) -> None:
        self.db.commit()
        self.db.close()

    def attach(self, other: Path) -> None:
        """The other pass's index, closed by its process, under the name `rest`."""
        self.db.commit()  # SQLite attaches outside a transaction only
        self.db.execute(f"ATTACH DATABASE ? AS {REST}", (str(other),))

    def document_files(self) -> Iterator[tuple[str, bool, str | None, str | None]]:
        """Each file found in dokumenter/ (attached index): whether a dokumentobjekt references it,
        its SHA-256 if that was computed, and its SHA-256 as arkivuttrekk.xml lists it."""
        yield from self.db.execute(
            f"SELECT found.path, files.path IS NOT NULL, files.sha256, sums.sha256 FROM {REST}.found AS found "
            f"LEFT JOIN files ON files.path = found.path LEFT JOIN {REST}.sums AS sums ON sums.path = found.path "
            "ORDER BY found.seq")

    def dangling_references(self) -> Iterator[str]:
        """The change log's references (attached index) that are no systemID here, in the log's order."""
        for (value,) in self.db.execute(
                f"SELECT refs.id FROM {REST}.refs AS refs WHERE NOT EXISTS (SELECT 1 FROM ids WHERE ids.id = refs.id) "
                "ORDER BY refs.seq"):
            yield value
