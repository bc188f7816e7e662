"""Validation of every archival output, behind one interface.

`BasicPdfaValidator` checks what can be checked without a full PDF/A validator: the
output exists, is a PDF, opens with pikepdf, declares the expected PDF/A part in its XMP,
and has the expected page count. `VeraPdfValidator` does all of that and then has
veraPDF validate the file against the PDF/A profile; `full=True` tells the policy it may
keep an existing PDF/A as is. `UnavailableValidator` stands in when the operator demands
veraPDF (`CONVERSION_VALIDATOR=verapdf`) and it is not installed: nothing passes.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from .engine.pdfcheck import inspect
from .engine.verapdf import VeraPdf
from .explain import explain


@dataclass
class Validation:
    ok: bool
    reason: str | None = None
    pages: int | None = None
    pdfa: str | None = None  # e.g. "2B"
    sha256: str | None = None
    size: int | None = None
    code: str | None = None  # the failure's reason code when it is not "validation-failed"
    validator: str = "basic"


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
        sha256, size = await asyncio.to_thread(checksum, path)
        return Validation(True, pages=facts.pages, pdfa=declared, sha256=sha256, size=size)


class VeraPdfValidator:
    """The basic checks, then veraPDF against the PDF/A part the policy wants."""

    full = True

    def __init__(self, verapdf: VeraPdf, basic: Validator | None = None) -> None:
        self.verapdf = verapdf
        self.basic = basic or BasicPdfaValidator()

    async def validate(self, path: Path, *, pdfa_part: int, expected_pages: int | None) -> Validation:
        check = await self.basic.validate(path, pdfa_part=pdfa_part, expected_pages=expected_pages)
        if not check.ok:
            return check
        report = await self.verapdf.validate(path)
        if report.error:
            code = report.code if report.code in ("timeout", "password-protected", "corrupt") else "validator-error"
            return Validation(False, f"veraPDF: {report.error}", pages=check.pages, code=code, validator="verapdf")
        if report.part != str(pdfa_part):
            return Validation(False, f"veraPDF validated it as PDF/A-{report.flavour or '?'}, "
                              f"the policy wants PDF/A-{pdfa_part}", pages=check.pages, validator="verapdf")
        if not report.compliant:
            reason = explain(report.flavour, report.clauses, report.failed_rules)
            return Validation(False, reason[:500], pages=check.pages, validator="verapdf")
        check.pdfa, check.validator = report.flavour, "verapdf"
        return check


class UnavailableValidator:
    """A full validator is required but missing: every validation fails with the reason."""

    full = False

    def __init__(self, reason: str) -> None:
        self.reason = reason

    async def validate(self, path: Path, *, pdfa_part: int, expected_pages: int | None) -> Validation:
        return Validation(False, self.reason, code="engine-missing")


def checksum(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size
