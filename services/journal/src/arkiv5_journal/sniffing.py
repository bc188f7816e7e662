"""Media-type sniffing from a document's first bytes (the `filetype` library), never trusting the client."""

from __future__ import annotations

import filetype

# Types the office formats are detected as by their zip container, and plain text, which
# has no magic number: we accept the declared type only when the bytes are consistent with it.
_ZIP_BASED = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
}
_TEXT = {"text/plain", "text/csv", "text/html", "application/xml", "text/xml", "application/json"}


def sniff(head: bytes, declared: str | None) -> str:
    """The media type of the bytes; the declared one only where the bytes cannot tell more."""
    declared = (declared or "").split(";", 1)[0].strip().lower() or None
    kind = filetype.guess(head)
    if kind is not None:
        if kind.mime == "application/zip" and declared in _ZIP_BASED:
            return declared
        return kind.mime
    if declared in _TEXT and _looks_like_text(head):
        return declared
    if _looks_like_text(head):
        return "text/plain"
    return "application/octet-stream"


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is still text.
        return exc.start >= len(head) - 3
    return True
