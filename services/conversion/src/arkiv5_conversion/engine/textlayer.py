"""Did a PDF keep its text? The words of a PDF's text layer, read by poppler's `pdftotext`.

Ghostscript's pdfwrite (10.0) can drop a font's ToUnicode map while making a PDF/A: the
pages look the same, but the text can no longer be searched, copied or read aloud. The
source's words are compared with the output's, on the first pages, and a PDF/A that lost
them is refused (`text-lost`) instead of archived as silently garbled text. The judge is
poppler, not Ghostscript: Ghostscript's own text extraction reads the same fonts the same
wrong way. Without `pdftotext` (Debian: poppler-utils) the check is skipped.
"""

from __future__ import annotations

import re
import shutil
import unicodedata
from pathlib import Path

from .priority import DEFAULT_NICENESS
from .sandbox import run_limited

PAGES = 20          # enough to judge, bounded for a 2,000-page PDF
MIN_WORDS = 3       # fewer words than this: nothing to compare (a scan, a picture)
MIN_KEPT = 0.8      # share of the source's words the output must still have
_WORD = re.compile(r"\w{4,}")


def available(executable: str = "pdftotext") -> bool:
    return shutil.which(executable) is not None


async def words(
    path: Path, *, timeout_s: float, memory_mb: int, executable: str = "pdftotext", niceness: int = DEFAULT_NICENESS,
) -> list[str] | None:
    """The words of the first pages' text layer, or None when it cannot be read."""
    if not available(executable):
        return None
    done = await run_limited(
        [executable, "-q", "-enc", "UTF-8", "-f", "1", "-l", str(PAGES), str(path), "-"],
        timeout_s=timeout_s, memory_mb=memory_mb, cwd=str(path.parent), niceness=niceness,
    )
    if done.timed_out or done.returncode != 0:
        return None
    text = unicodedata.normalize("NFKC", done.stdout.decode("utf-8", "replace"))
    return _WORD.findall(text)


def kept_share(source: list[str], output: list[str]) -> float | None:
    """The share of the source's words found in the output; None when the source has too few."""
    if len(source) < MIN_WORDS:
        return None
    found = set(output)
    return sum(1 for word in source if word in found) / len(source)
