"""The document files in the extraction validator: each dokumentobjekt's file (N5_30, N5_32, N5_64) and
the files in dokumenter/ against the references and arkivuttrekk.xml (N5_28, N5_33, ADDML_CHECKSUM)."""

from __future__ import annotations

import hashlib
import os
import stat
from collections import Counter
from pathlib import Path
from typing import Any

from . import addml
from .checkindex import CheckIndex
from .report import Report
from .xml import ARKIVSTRUKTUR

AS = "{" + ARKIVSTRUKTUR + "}"


def check_document(report: Report, root: str, index: CheckIndex, element: Any, counts: Counter[str],
              folders: dict[str, str]) -> None:
    """A dokumentobjekt's file: inside the folder `root` (resolved), a regular file, its SHA-256 as stated."""
    system_id = element.findtext(AS + "systemID")
    reference = element.findtext(AS + "referanseDokumentfil") or ""
    path, size = resolved(root, reference, folders)
    if size is None or not path.startswith(root + os.sep):
        index.add_file(reference)
        report.add("N5_32", "referenced document file does not exist", file=reference, system_id=system_id)
        return
    if size == 0:
        counts["N5_64"] += 1
    with open(path, "rb") as handle:
        sha256 = hashlib.file_digest(handle, "sha256").hexdigest()
    index.add_file(reference, sha256)
    if sha256 != (element.findtext(AS + "sjekksum") or "").lower():
        report.add("N5_30", "document file's SHA-256 differs from its dokumentobjekt's sjekksum", file=reference,
                   system_id=system_id)


def resolved(root: str, reference: str, folders: dict[str, str]) -> tuple[str, int | None]:
    """`os.path.realpath(root/reference)` and the size of the regular file there (None if there is none).

    Each folder is resolved once (`folders` remembers them) and only the file's own name is
    looked at: `realpath` looks at every component of every path, and that was the largest
    part of a document file's check.
    """
    if not reference:
        return "", None
    folder, _, name = reference.rpartition("/")
    if name in (".", "..") or not name:
        path = os.path.realpath(os.path.join(root, reference))
        return path, _regular_file_size(path)
    if folder not in folders:
        if len(folders) > 10_000:  # a bound, should an extraction spread its files over many folders
            folders.clear()
        folders[folder] = os.path.realpath(os.path.join(root, folder))
    path = os.path.join(folders[folder], name)
    try:
        found = os.lstat(path)
    except OSError:
        return path, None
    if stat.S_ISLNK(found.st_mode):  # resolved in full, as realpath does
        path = os.path.realpath(path)
        return path, _regular_file_size(path)
    return path, found.st_size if stat.S_ISREG(found.st_mode) else None


def _regular_file_size(path: str) -> int | None:
    """The size of a regular file (one stat call), None when there is none."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_size if stat.S_ISREG(found.st_mode) else None


def check_files(report: Report, folder: Path, index: CheckIndex, about: addml.Description) -> None:
    """The files found in dokumenter/ (by the other process) against the references and the listed checksums."""
    found = 0
    for name, referenced, sha256, expected in index.document_files():
        found += 1
        if not referenced:
            report.add("N5_33", "document file no dokumentobjekt references", file=name)
        elif expected is not None and (sha256 or addml.sha256_of(folder / name)) != expected:
            report.add("ADDML_CHECKSUM", "document file's SHA-256 differs from arkivuttrekk.xml", file=name)
    if found != about.document_files:
        report.add("N5_28", f"{found} document files in dokumenter/, arkivuttrekk.xml says {about.document_files} "
                   "(antallDokumentfiler)", file="arkivuttrekk.xml")
    else:
        report.add("N5_28", f"{found} document files, as arkivuttrekk.xml says", file="dokumenter", info=True)
