"""Validation of every archival output, behind one interface so veraPDF can plug in.

`BasicPdfaValidator` checks what can be checked without a full PDF/A validator: the
output exists, is a PDF, opens with pikepdf, declares the expected PDF/A part in its XMP,
and has the expected page count. A full validator (veraPDF) implements the same
`Validator` protocol; `full=True` tells the policy it may keep an existing PDF/A as is.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from .engine.pdfcheck import inspect


@dataclass
class Validation:
    ok: bool
    reason: str | None = None
    pages: int | None = None
    pdfa: str | None = None  # e.g. "2B"
    sha256: str | None = None
    size: int | None = None


class Validator(Protocol):
    full: bool

    async def validate(self, path: Path, *, pdfa_part: int, expected_pages: int | None) -> Validation: ...


class BasicPdfaValidator:
    """Structural checks and the XMP declaration; never enough to keep a file on its claim."""

    full = False

    async def validate(self, path: Path, *, pdfa_part: int, expected_pages: int | None) -> Validation:
        if not path.exists() or path.stat().st_size == 0:
            return Validation(False, "the converter produced no output")
        with path.open("rb") as handle:
            if not handle.read(1024).lstrip().startswith(b"%PDF-"):
                return Validation(False, "the output is not a PDF")
        facts = await asyncio.to_thread(inspect, str(path))
        if not facts.opens:
            return Validation(False, f"the output does not open as PDF ({facts.error})")
        declared = f"{facts.pdfa_part or ''}{(facts.pdfa_conformance or '').upper()}"
        if facts.pdfa_part != str(pdfa_part):
            return Validation(False, f"the output does not declare PDF/A-{pdfa_part} in its XMP", pages=facts.pages)
        if facts.pages < 1:
            return Validation(False, "the output has no pages")
        if expected_pages is not None and facts.pages != expected_pages:
            return Validation(
                False, f"the output has {facts.pages} pages, the source {expected_pages}", pages=facts.pages
            )
        sha256, size = checksum(path)
        return Validation(True, pages=facts.pages, pdfa=declared, sha256=sha256, size=size)


def checksum(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size
