"""Which character set a text is in, and its faithful decoding — or an honest "cannot tell".

Order of evidence: a byte-order mark; what the file declares about itself (XML's
`<?xml encoding=...?>`, HTML's `<meta charset>` / `http-equiv="Content-Type"`); valid UTF-8;
the NUL-byte pattern of BOM-less UTF-16; then charset-normalizer, a statistical detector
that weighs byte patterns against the letters and words of many languages (KOI8-R, Windows-1250
and Windows-1252 are told apart by it, not guessed as Latin-1). A declaration that does not
decode the bytes is ignored. A result is accepted only when the bytes decode without a
single error; otherwise the caller refuses the file as `unknown-charset` — never mojibake.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from charset_normalizer import from_bytes

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
)
XML_DECLARATION = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']""")
_HTML_META = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]{1,40})""", re.I,
)
# Accept a statistical guess only when it looks like language, not noise.
_MAX_CHAOS = 0.2


@dataclass(frozen=True)
class Decoded:
    text: str
    charset: str          # the Python codec name that decoded it
    evidence: str         # bom | declared | utf-8 | utf-16 pattern | detected


def _codec(name: str) -> str | None:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _strict(data: bytes, charset: str) -> str | None:
    try:
        return data.decode(charset)
    except (UnicodeDecodeError, LookupError):
        return None


def declared_charset(data: bytes) -> str | None:
    """The charset the file names itself (XML declaration or HTML meta), if any."""
    head = data[:4096]
    match = XML_DECLARATION.match(head) or _HTML_META.search(head)
    return match.group(1).decode("ascii") if match else None


def _utf16_pattern(data: bytes) -> str | None:
    """BOM-less UTF-16 of mostly Latin text: every second byte is NUL."""
    sample = data[:4096]
    if len(sample) < 16 or len(sample) % 2:
        sample = sample[: len(sample) - len(sample) % 2]
    if len(sample) < 16:
        return None
    even, odd = sample[0::2], sample[1::2]
    half = len(sample) // 2
    if odd.count(0) > 0.6 * half and even.count(0) < 0.05 * half:
        return "utf-16-le"
    if even.count(0) > 0.6 * half and odd.count(0) < 0.05 * half:
        return "utf-16-be"
    return None


def looks_like_utf16(data: bytes) -> bool:
    return _utf16_pattern(data) is not None


def decode(data: bytes) -> Decoded | None:
    """The text and how its charset was known, or None when no charset decodes it faithfully."""
    for bom, charset in _BOMS:
        if data.startswith(bom):
            text = _strict(data[len(bom):], charset)
            return Decoded(text, charset, "bom") if text is not None else None
    declared = declared_charset(data)
    if declared and (codec := _codec(declared)) is not None:
        text = _strict(data, codec)
        if text is not None and "\x00" not in text:
            return Decoded(text, codec, "declared")
    utf16 = _utf16_pattern(data)
    if utf16:
        text = _strict(data, utf16)
        if text is not None:
            return Decoded(text, utf16, "utf-16 pattern")
    if b"\x00" not in data:
        text = _strict(data, "utf-8")
        if text is not None:
            return Decoded(text, "utf-8", "utf-8")
    codec = _detected(data)
    text = _strict(data, codec) if codec else None
    if text is None or "\x00" in text:
        return None
    return Decoded(text, codec or "unknown", "detected")


# When the detector finds several charsets equally likely (Latin text decodes the same in
# many of them), the Western ones win: by far the most common legacy charsets here.
_WESTERN = ("cp1252", "latin_1", "iso8859_15")
_TIE = 0.01


def _detected(data: bytes) -> str | None:
    matches = from_bytes(data)
    best = matches.best()
    if best is None or best.chaos > _MAX_CHAOS:
        return None
    tied: set[str] = set()
    for match in matches:
        if match.chaos <= best.chaos + _TIE and match.coherence >= best.coherence - _TIE:
            tied.update(match.could_be_from_charset)
    for western in _WESTERN:
        if western in tied:
            return _codec(western)
    return _codec(best.encoding)
