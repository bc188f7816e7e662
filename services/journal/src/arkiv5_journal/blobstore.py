"""The document store: content-addressed (SHA-256) blobs behind one small interface.

`BlobStore` is what the service uses; `FilesystemBlobStore` keeps each blob once under
`<root>/sha256/ab/cd/<digest>`. A blob is written to a temporary file while its digest
and size are computed, made durable (fsync), then moved into place atomically, so a half-written upload never
appears under a digest and the same bytes uploaded twice are stored once.

A chunked upload keeps its bytes received so far, and what it was started with, as two
temporary files (`<root>/tmp/partial-<key>.part` and `.json`), so every replica that shares
the store continues it; each chunk refreshes both files' time, and the sweep of temporary
files removes a session abandoned for longer than the grace period.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import os
import re
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

CHUNK = 256 * 1024
HEAD_BYTES = 8192
SET_ASIDE_PREFIX = "swept-"
THREAD_WRITE_BYTES = 1024 * 1024
"""Chunks at least this large are written in a thread; smaller ones directly."""


class BlobTooLarge(Exception):
    """The stream went past the size limit; nothing was stored."""


class PartialGone(Exception):
    """No chunked upload has this key (never started, completed, or swept)."""


class PartialBusy(Exception):
    """Another request is writing a chunk of this upload just now."""


class PartialRefused(Exception):
    """A chunk that does not continue the upload: `offset` is where it must start; nothing was kept."""

    def __init__(self, received: int) -> None:
        super().__init__(received)
        self.received = received


class PartialWrongLength(Exception):
    """The chunk's body was not as long as its range said; nothing of it was kept."""


PARTIAL_PREFIX = "partial-"
_PARTIAL_KEY = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class HeldUpload:
    """The bytes of a finished chunked upload, still held under its key: stored by giving them
    their digest's name (`store_partial`), never by writing them a second time."""

    key: str


@dataclass(frozen=True)
class StoredBlob:
    sha256: str
    size: int
    head: bytes
    """The first bytes, for media-type sniffing."""


class BlobWriter(Protocol):
    """One blob being written: `write` the chunks, then `commit` (or `discard` on failure)."""

    async def write(self, chunk: bytes) -> None: ...

    async def commit(self) -> StoredBlob: ...

    def discard(self) -> None: ...


class BlobStore(Protocol):
    async def put_stream(self, chunks: AsyncIterator[bytes], *, max_bytes: int) -> StoredBlob: ...

    def writer(self, *, max_bytes: int) -> BlobWriter: ...

    async def exists(self, sha256: str) -> bool: ...

    def open_stream(self, sha256: str) -> AsyncIterator[bytes]: ...

    async def written_before(self, cutoff: float) -> list[str]: ...

    async def remove_if_not_rewritten(self, sha256: str, cutoff: float) -> bool: ...

    async def restore_set_aside(self, is_referenced: Callable[[list[str]], Awaitable[set[str]]]) -> int: ...

    async def remove_stale_temporary(self, cutoff: float) -> int: ...

    async def begin_partial(self, key: str, meta: bytes) -> None: ...

    async def partial(self, key: str) -> tuple[bytes, int]: ...

    async def append_partial(self, key: str, offset: int, length: int, chunks: AsyncIterator[bytes]) -> int: ...

    async def store_partial(self, key: str, *, max_bytes: int) -> StoredBlob: ...

    async def remove_partial(self, key: str) -> None: ...


class _FileWriter:
    """Writes into a temporary file beside the store, hashing as it goes; `commit` moves it into place."""

    def __init__(self, store: FilesystemBlobStore, max_bytes: int) -> None:
        self._store = store
        self._max_bytes = max_bytes
        tmp_dir = store.root / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, self._tmp_name = tempfile.mkstemp(dir=tmp_dir)
        self._file = os.fdopen(fd, "wb")
        self._digest = hashlib.sha256()
        self._size = 0
        self._head = b""

    async def write(self, chunk: bytes) -> None:
        if not chunk:
            return
        self._size += len(chunk)
        if self._size > self._max_bytes:
            self.discard()
            raise BlobTooLarge()
        if len(self._head) < HEAD_BYTES:
            self._head += chunk[: HEAD_BYTES - len(self._head)]
        self._digest.update(chunk)
        if len(chunk) >= THREAD_WRITE_BYTES:
            await asyncio.to_thread(self._file.write, chunk)
        else:
            self._file.write(chunk)  # a small write into the page cache costs less than a thread hop

    async def commit(self) -> StoredBlob:
        sha = self._digest.hexdigest()
        await asyncio.to_thread(_move_into_place, self._file, self._tmp_name, self._store.path_of(sha))
        return StoredBlob(sha256=sha, size=self._size, head=self._head)

    def discard(self) -> None:
        self._file.close()
        Path(self._tmp_name).unlink(missing_ok=True)


def _move_into_place(file: BinaryIO, tmp_name: str, target: Path) -> None:
    """Make the bytes durable, then give them their name: a record committed after this never
    points at a blob a crash could lose."""
    file.flush()
    os.fsync(file.fileno())
    file.close()
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp_name, target)
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself
    finally:
        os.close(directory)


def _flush(file: BinaryIO) -> None:
    file.flush()
    os.fsync(file.fileno())


class FilesystemBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, sha256: str) -> Path:
        return self.root / "sha256" / sha256[:2] / sha256[2:4] / sha256

    def writer(self, *, max_bytes: int) -> BlobWriter:
        return _FileWriter(self, max_bytes)

    async def put_stream(self, chunks: AsyncIterator[bytes], *, max_bytes: int) -> StoredBlob:
        writer = self.writer(max_bytes=max_bytes)
        try:
            async for chunk in chunks:
                await writer.write(chunk)
            return await writer.commit()
        except BaseException:
            writer.discard()
            raise

    async def exists(self, sha256: str) -> bool:
        return await asyncio.to_thread(self.path_of(sha256).is_file)

    # --- sweeping (see blobsweep.py) ------------------------------------------------------
    # Every upload writes its file anew and moves it into place (a fresh modification time),
    # even when the same bytes are stored already; a record is committed only after that.
    # So a blob last written before the cutoff that no record names is an orphan, and one
    # rewritten since is not — which `remove_if_not_rewritten` checks after setting it aside.

    async def written_before(self, cutoff: float) -> list[str]:
        """Digests of the blobs last written before `cutoff` (a Unix time)."""
        return await asyncio.to_thread(self._written_before, cutoff)

    def _written_before(self, cutoff: float) -> list[str]:
        digests = []
        for path in (self.root / "sha256").glob("*/*/*"):
            try:
                if path.stat().st_mtime < cutoff:
                    digests.append(path.name)
            except FileNotFoundError:
                continue
        return digests

    def _set_aside_path(self, sha256: str) -> Path:
        return self.root / "tmp" / f"{SET_ASIDE_PREFIX}{sha256}"

    async def remove_if_not_rewritten(self, sha256: str, cutoff: float) -> bool:
        """Delete an orphan blob, unless an upload wrote the same bytes again meanwhile.

        The blob is first moved aside (atomically), then its time is checked on the moved
        file: a file rewritten by an upload since the caller looked goes back into place,
        so an upload racing with the sweep never loses its bytes.
        """
        return await asyncio.to_thread(self._remove_if_not_rewritten, sha256, cutoff)

    def _remove_if_not_rewritten(self, sha256: str, cutoff: float) -> bool:
        target, aside = self.path_of(sha256), self._set_aside_path(sha256)
        aside.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(target, aside)
        except FileNotFoundError:
            return False
        if aside.stat().st_mtime >= cutoff:
            os.replace(aside, target)  # rewritten by an upload since it was listed: keep it
            return False
        aside.unlink()
        return True

    async def restore_set_aside(self, is_referenced: Callable[[list[str]], Awaitable[set[str]]]) -> int:
        """After a crash mid-sweep: put back every set-aside blob a record names (none is lost)."""
        aside = await asyncio.to_thread(lambda: list((self.root / "tmp").glob(f"{SET_ASIDE_PREFIX}*")))
        digests = [path.name.removeprefix(SET_ASIDE_PREFIX) for path in aside]
        referenced = await is_referenced(digests) if digests else set()
        for digest in referenced:
            await asyncio.to_thread(self._restore, digest)
        return len(referenced)

    def _restore(self, sha256: str) -> None:
        target = self.path_of(sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            self._set_aside_path(sha256).unlink(missing_ok=True)  # the same bytes are in place
        else:
            os.replace(self._set_aside_path(sha256), target)

    async def remove_stale_temporary(self, cutoff: float) -> int:
        """Delete unfinished uploads (and set-aside orphans) left behind before `cutoff`."""
        return await asyncio.to_thread(self._remove_stale_temporary, cutoff)

    def _remove_stale_temporary(self, cutoff: float) -> int:
        removed = 0
        for path in (self.root / "tmp").glob("*"):
            try:
                if path.is_file() and path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        return removed

    # --- chunked uploads ------------------------------------------------------------------

    def _partial_paths(self, key: str) -> tuple[Path, Path]:
        if not _PARTIAL_KEY.fullmatch(key):
            raise PartialGone()
        base = self.root / "tmp" / f"{PARTIAL_PREFIX}{key}"
        return base.with_suffix(".part"), base.with_suffix(".json")

    async def begin_partial(self, key: str, meta: bytes) -> None:
        """A new chunked upload under `key`: no bytes yet, `meta` what it was started with."""
        part, meta_path = self._partial_paths(key)

        def begin() -> None:
            part.parent.mkdir(parents=True, exist_ok=True)
            meta_path.write_bytes(meta)
            part.touch(exist_ok=False)

        await asyncio.to_thread(begin)

    async def partial(self, key: str) -> tuple[bytes, int]:
        """What the upload was started with, and how many bytes it holds."""
        part, meta_path = self._partial_paths(key)

        def read() -> tuple[bytes, int]:
            try:
                return meta_path.read_bytes(), part.stat().st_size
            except FileNotFoundError:
                raise PartialGone() from None

        return await asyncio.to_thread(read)

    async def append_partial(self, key: str, offset: int, length: int, chunks: AsyncIterator[bytes]) -> int:
        """Append exactly `length` bytes that start at `offset`; the new size.

        The upload's file is locked while the chunk is written, so replicas sharing the store
        never interleave two chunks of one upload. A chunk that does not start where the bytes
        end, or whose body is not `length` long, leaves the file as it was.
        """
        part, meta_path = self._partial_paths(key)
        try:
            file = await asyncio.to_thread(open, part, "r+b")
        except FileNotFoundError:
            raise PartialGone() from None
        try:
            try:
                fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise PartialBusy() from None
            size = os.fstat(file.fileno()).st_size
            if size != offset:
                raise PartialRefused(size)
            file.seek(offset)
            written = 0
            try:
                async for chunk in chunks:
                    written += len(chunk)
                    if written > length:
                        raise PartialWrongLength()
                    await asyncio.to_thread(file.write, chunk)
                if written != length:
                    raise PartialWrongLength()
                await asyncio.to_thread(_flush, file)
            except BaseException:
                file.truncate(offset)
                raise
            os.utime(meta_path)  # the sweep keeps an upload that is still receiving
            return offset + written
        finally:
            file.close()

    async def store_partial(self, key: str, *, max_bytes: int) -> StoredBlob:
        """The upload's bytes as a blob: read once for their digest, then hard-linked under it.

        Each chunk was made durable as it came, so only the new name needs to be; the upload
        keeps its own name (and can be completed again after a failed registration) until
        `remove_partial`. No chunk can change the bytes afterwards: the upload is full.
        """
        part, _meta = self._partial_paths(key)
        return await asyncio.to_thread(self._store_partial, part, max_bytes)

    def _store_partial(self, part: Path, max_bytes: int) -> StoredBlob:
        try:
            source = open(part, "rb")  # noqa: SIM115 - closed below, after the lock is released
        except FileNotFoundError:
            raise PartialGone() from None
        with source:
            try:
                fcntl.flock(source.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise PartialBusy() from None
            if os.fstat(source.fileno()).st_size > max_bytes:
                raise BlobTooLarge()
            digest, size, head = hashlib.sha256(), 0, b""
            while chunk := source.read(THREAD_WRITE_BYTES):
                if len(head) < HEAD_BYTES:
                    head += chunk[: HEAD_BYTES - len(head)]
                digest.update(chunk)
                size += len(chunk)
            sha = digest.hexdigest()
            target = self.path_of(sha)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(part, target)
            except FileExistsError:
                os.utime(target)  # the same bytes are stored already: written again now, as for the sweep
            directory = os.open(target.parent, os.O_RDONLY)
            try:
                os.fsync(directory)  # the new name itself
            finally:
                os.close(directory)
        return StoredBlob(sha256=sha, size=size, head=head)

    async def remove_partial(self, key: str) -> None:
        for path in self._partial_paths(key):
            await asyncio.to_thread(path.unlink, missing_ok=True)

    async def open_stream(self, sha256: str) -> AsyncIterator[bytes]:
        with open(self.path_of(sha256), "rb") as source:  # noqa: ASYNC230 - chunks are read in a thread
            while chunk := await asyncio.to_thread(source.read, CHUNK):
                yield chunk
