"""An extraction as one tar stream, and a tar read back safely for the validator.

The tar is written in stream mode (`w|`): each file is read in chunks straight into the
output, so memory stays flat and the output may be a pipe (stdout, an HTTP response body).
The files sit under one top folder, as archive institutions receive an extraction.

Reading a tar back extracts it into a working folder with tarfile's `data` filter (no
absolute paths, no `..`, no links out of the folder, no devices) and only regular files and
folders accepted; anything else refuses the whole tar (the caller removes the working folder).
"""

from __future__ import annotations

import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, cast

from .xml import SCHEMAS, XML_FILES

BUFFER = 1 << 20


class TarRefused(Exception):
    """The tar holds something other than files and folders, or names outside itself."""


def _members(folder: Path) -> Iterator[Path]:
    """The extraction's files in a stable order: the XML files, the schemas, then `dokumenter/`."""
    for name in (*XML_FILES, *SCHEMAS):
        if (folder / name).is_file():
            yield folder / name
    documents = folder / "dokumenter"
    if documents.is_dir():
        yield documents
        yield from sorted(path for path in documents.rglob("*") if path.is_file())


def write_tar(folder: Path, target: BinaryIO, top: str) -> int:
    """Stream `folder` as a tar into `target` under the folder name `top`; the number of bytes of files written."""
    written = 0
    with tarfile.open(fileobj=target, mode="w|", format=tarfile.PAX_FORMAT, bufsize=BUFFER) as tar:
        tar.addfile(_directory(top))
        for path in _members(folder):
            name = f"{top}/{path.relative_to(folder).as_posix()}"
            if path.is_dir():
                tar.addfile(_directory(name))
                continue
            info = tar.gettarinfo(str(path), arcname=name)
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            with path.open("rb") as handle:
                tar.addfile(info, handle)
            written += info.size
    return written


def _directory(name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    info.mode = 0o755
    return info


def extract_tar(source: Path, work: Path) -> Path:
    """Unpack `source` into the empty folder `work`; the extraction's folder (the tar's one top folder, if it has one).

    Read as a stream, member by member, and tarfile's list of members seen is emptied as it
    goes: a tar of a million document files does not become a million objects in memory.
    """
    with tarfile.open(str(source), mode="r|*", bufsize=BUFFER) as tar:
        for member in tar:
            if not (member.isfile() or member.isdir()):
                raise TarRefused("the tar holds a member that is neither a file nor a folder (a link or a device)")
            try:
                tar.extract(member, str(work), filter="data")
            except tarfile.FilterError:
                raise TarRefused("the tar holds a name outside itself (absolute, or with ..)") from None
            cast(Any, tar).members = []  # the list tarfile keeps of what it has read (untyped)
    entries = list(work.iterdir())
    if len(entries) == 1 and entries[0].is_dir() and not (work / "arkivuttrekk.xml").exists():
        return entries[0]
    return work
