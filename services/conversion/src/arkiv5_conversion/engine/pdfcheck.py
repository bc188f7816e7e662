"""PDF facts with pikepdf: opens, encrypted, page count, the PDF/A claim, embedded files.

`inspect()` runs in-process on files our own engines produced; untrusted input is
inspected by running this module as a bounded child process (`python -m ... <path>
[<extract-dir>]`), which prints the facts as JSON. Given an extract directory, a PDF with
embedded files (the document-level EmbeddedFiles tree and file-attachment annotations)
gets each file written there as `<n>.bin` (listed in `embedded`) and a copy of itself
without them as `stripped.pdf`: the embedded files become their own documents, and the
PDF/A is made from the stripped copy (PDF/A-2 forbids most embedded files).
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class PdfFacts:
    opens: bool
    encrypted: bool = False
    needs_password: bool = False
    pages: int = 0
    pdfa_part: str | None = None
    pdfa_conformance: str | None = None
    error: str | None = None
    embedded: list[dict[str, object]] = field(default_factory=list)  # {"file", "name", "media_type"}


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


MAX_EMBEDDED = 50


def extract_embedded(path: str, out_dir: str) -> list[dict[str, object]]:
    """Write every embedded file to `out_dir` and a copy of the PDF without them; [] if none."""
    import pikepdf

    found: list[dict[str, object]] = []
    with pikepdf.open(path) as pdf:
        specs: list[tuple[str, pikepdf.Object]] = []
        names = pdf.Root.get("/Names")
        if names is not None and "/EmbeddedFiles" in names:
            for name, spec in pikepdf.NameTree(names.EmbeddedFiles).items():
                specs.append((str(name), spec))
        annotated = []
        for page in pdf.pages:
            annots = page.obj.get("/Annots")
            if annots is None:
                continue
            for annot in annots:
                if annot.get("/Subtype") == "/FileAttachment" and "/FS" in annot:
                    specs.append(("", annot.FS))
                    annotated.append(page)
        if not specs:
            return []
        for index, (name, spec) in enumerate(specs[:MAX_EMBEDDED]):
            try:
                embedded = spec.EF.get("/UF") or spec.EF.F
                data = embedded.read_bytes()
                subtype = embedded.get("/Subtype")
                media_type = str(subtype).lstrip("/").replace("#2F", "/") if subtype is not None else ""
                filename = str(spec.get("/UF") or spec.get("/F") or name or f"vedlegg-{index + 1}")
            except Exception:
                continue
            target = Path(out_dir) / f"{index}.bin"
            target.write_bytes(data)
            found.append({"file": str(target), "name": filename[:255], "media_type": media_type or "application/octet-stream"})
        if names is not None and "/EmbeddedFiles" in names:
            del names["/EmbeddedFiles"]
        for page in annotated:
            page.obj.Annots = pikepdf.Array(
                [a for a in page.obj.Annots if a.get("/Subtype") != "/FileAttachment"])
        if "/AF" in pdf.Root:
            del pdf.Root["/AF"]
        pdf.save(str(Path(out_dir) / "stripped.pdf"))
    return found


if __name__ == "__main__":
    facts = inspect(sys.argv[1])
    if len(sys.argv) > 2 and facts.opens:
        try:
            facts.embedded = extract_embedded(sys.argv[1], sys.argv[2])
        except Exception as exc:
            facts.error = f"embedded files unreadable ({type(exc).__name__})"
    print(json.dumps(asdict(facts)))
