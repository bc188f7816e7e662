"""The document store: content-addressed (SHA-256) blobs behind one small interface.

`BlobStore` is what the service uses; `FilesystemBlobStore` keeps each blob once under
`<root>/sha256/ab/cd/<digest>`. A blob is written to a temporary file while its digest
and size are computed, then moved into place atomically, so a half-written upload never
appears under a digest and the same bytes uploaded twice are stored once.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

CHUNK = 256 * 1024


class BlobTooLarge(Exception):
    """The stream went past the size limit; nothing was stored."""


@dataclass(frozen=True)
class StoredBlob:
    sha256: str
    size: int
    head: bytes
    """The first bytes, for media-type sniffing."""


class BlobStore(Protocol):
    async def put_stream(self, chunks: AsyncIterator[bytes], *, max_bytes: int) -> StoredBlob: ...

    async def exists(self, sha256: str) -> bool: ...

    def open_stream(self, sha256: str) -> AsyncIterator[bytes]: ...


class FilesystemBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, sha256: str) -> Path:
        return self.root / "sha256" / sha256[:2] / sha256[2:4] / sha256

    async def put_stream(self, chunks: AsyncIterator[bytes], *, max_bytes: int) -> StoredBlob:
        tmp_dir = self.root / "tmp"
        await asyncio.to_thread(tmp_dir.mkdir, parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=tmp_dir)
        digest = hashlib.sha256()
        size = 0
        head = b""
        try:
            with os.fdopen(fd, "wb") as out:
                async for chunk in chunks:
                    if not chunk:
                        continue
                    size += len(chunk)
                    if size > max_bytes:
                        raise BlobTooLarge()
                    if len(head) < 8192:
                        head += chunk[: 8192 - len(head)]
                    digest.update(chunk)
                    await asyncio.to_thread(out.write, chunk)
            sha = digest.hexdigest()
            target = self.path_of(sha)
            await asyncio.to_thread(target.parent.mkdir, parents=True, exist_ok=True)
            await asyncio.to_thread(os.replace, tmp_name, target)
            return StoredBlob(sha256=sha, size=size, head=head)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise

    async def exists(self, sha256: str) -> bool:
        return await asyncio.to_thread(self.path_of(sha256).is_file)

    async def open_stream(self, sha256: str) -> AsyncIterator[bytes]:  # type: ignore[override]
        with open(self.path_of(sha256), "rb") as source:  # noqa: ASYNC230 - chunks are read in a thread
            while chunk := await asyncio.to_thread(source.read, CHUNK):
                yield chunk
