"""PDF facts with pikepdf: opens, encrypted, page count, the PDF/A claim in the XMP.

`inspect()` runs in-process on files our own engines produced; untrusted input is
inspected by running this module as a bounded child process (`python -m ... <path>`),
which prints the facts as JSON.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass


@dataclass
class PdfFacts:
    opens: bool
    encrypted: bool = False
    needs_password: bool = False
    pages: int = 0
    pdfa_part: str | None = None
    pdfa_conformance: str | None = None
    error: str | None = None


def inspect(path: str) -> PdfFacts:
    import pikepdf

    try:
        with pikepdf.open(path) as pdf:
            facts = PdfFacts(opens=True, encrypted=bool(pdf.is_encrypted), pages=len(pdf.pages))
            try:
                meta = pdf.open_metadata()
                facts.pdfa_part = meta.get("pdfaid:part")
                facts.pdfa_conformance = meta.get("pdfaid:conformance")
            except Exception as exc:  # unreadable XMP is a finding, not a crash
                facts.error = f"XMP unreadable ({type(exc).__name__})"
            return facts
    except pikepdf.PasswordError:
        return PdfFacts(opens=False, encrypted=True, needs_password=True, error="password required")
    except Exception as exc:
        return PdfFacts(opens=False, error=f"{type(exc).__name__}")


if __name__ == "__main__":
    print(json.dumps(asdict(inspect(sys.argv[1]))))
