"""Identification by content: a PRONOM PUID, a media type and our short format key.

libmagic (python-magic) reads the bytes; we refine what it cannot tell reliably ourselves:
the OOXML/ODF package type from the zip's own manifest, encrypted Office files, the PDF
version and a PDF/A *claim* (only a claim — validation happens elsewhere), and the charset
of text. The file name is never consulted. libmagic's long descriptions are never passed
on (for Office files they include the author and title).
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

import magic

from .textcodec import looks_like_utf16

# Our format key -> (PUID, canonical media type). PUIDs from PRONOM.
FORMATS: dict[str, tuple[str, str]] = {
    "docx": ("fmt/412", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": ("fmt/214", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "xlsb": ("fmt/595", "application/vnd.ms-excel.sheet.binary.macroEnabled.12"),
    "pptx": ("fmt/215", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    "doc": ("fmt/40", "application/msword"),
    "xls": ("fmt/61", "application/vnd.ms-excel"),
    "ppt": ("fmt/126", "application/vnd.ms-powerpoint"),
    "odt": ("fmt/291", "application/vnd.oasis.opendocument.text"),
    "ods": ("fmt/295", "application/vnd.oasis.opendocument.spreadsheet"),
    "odp": ("fmt/293", "application/vnd.oasis.opendocument.presentation"),
    "rtf": ("fmt/355", "application/rtf"),
    "html": ("fmt/471", "text/html"),
    "txt": ("x-fmt/111", "text/plain"),
    "xml": ("fmt/101", "application/xml"),
    "eml": ("fmt/950", "message/rfc822"),
    "jpeg": ("fmt/43", "image/jpeg"),
    "png": ("fmt/13", "image/png"),
    "tiff": ("fmt/353", "image/tiff"),
    "gif": ("fmt/4", "image/gif"),
    "pdf": ("fmt/276", "application/pdf"),
    "pdfa": ("fmt/477", "application/pdf"),
    "zip": ("x-fmt/263", "application/zip"),
    "msg": ("x-fmt/430", "application/vnd.ms-outlook"),
    "ooxml-encrypted": ("fmt/494", "application/x-ooxml-encrypted"),  # Microsoft Office Encrypted Document
    "ole": ("fmt/111", "application/x-ole-storage"),                    # an OLE2 container we cannot name
}
PDF_VERSION_PUIDS = {
    "1.0": "fmt/14", "1.1": "fmt/15", "1.2": "fmt/16", "1.3": "fmt/17", "1.4": "fmt/18",
    "1.5": "fmt/19", "1.6": "fmt/20", "1.7": "fmt/276", "2.0": "fmt/1129",
}
PDFA_PUIDS = {
    ("1", "A"): "fmt/95", ("1", "B"): "fmt/354", ("2", "A"): "fmt/476", ("2", "B"): "fmt/477",
    ("2", "U"): "fmt/478", ("3", "A"): "fmt/479", ("3", "B"): "fmt/480", ("3", "U"): "fmt/481",
}
ARCHIVAL_PDFA_PUID = PDFA_PUIDS

_MAGIC_MEDIA_TYPES: dict[str, str] = {
    "application/msword": "doc",
    "application/vnd.ms-excel": "xls",
    "application/vnd.ms-powerpoint": "ppt",
    "text/rtf": "rtf",
    "application/rtf": "rtf",
    "text/html": "html",
    "text/xml": "xml",
    "application/xml": "xml",
    "message/rfc822": "eml",
    "image/jpeg": "jpeg",
    "image/png": "png",
    "image/tiff": "tiff",
    "image/gif": "gif",
    "text/plain": "txt",
}
_ODF_MIMETYPES = {
    b"application/vnd.oasis.opendocument.text": "odt",
    b"application/vnd.oasis.opendocument.spreadsheet": "ods",
    b"application/vnd.oasis.opendocument.presentation": "odp",
}
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_PDF_HEADER = re.compile(rb"%PDF-(\d\.\d)")
# Attribute form (pdfaid:part="2") or element form, with or without attributes on the
# element (<pdfaid:part xmlns:pdfaid="...">2</pdfaid:part>, as pikepdf and others write it).
_PDFAID_PART = re.compile(rb"pdfaid:part(?:\s*=\s*[\"']|(?:\s[^<>]*)?>)\s*(\d)")
_PDFAID_CONF = re.compile(rb"pdfaid:conformance(?:\s*=\s*[\"']|(?:\s[^<>]*)?>)\s*([ABUabu])")
_EML_HEADERS = re.compile(rb"^(?:Received|Return-Path|From|To|Subject|Date|Message-ID|MIME-Version):", re.I | re.M)


@dataclass(frozen=True)
class Identification:
    format: str | None          # our key (docx, pdf, ...); None when unknown
    puid: str | None            # PRONOM id, when known
    media_type: str             # what the content is (never taken from the file name)
    encrypted: bool = False     # a password-protected Office file (PDF encryption is seen later)
    pdfa_claim: str | None = None  # e.g. "2B" from the XMP — a claim, not a validation
    charset: str | None = None  # libmagic's guess for text

    @property
    def label(self) -> str:
        """A bounded, non-personal name for metrics and reasons."""
        return self.format or "unknown"


def identify(data: bytes) -> Identification:
    if not data:
        return Identification(None, None, "application/x-empty")
    head = data[:8]
    if data.startswith(b"%PDF-") or _PDF_HEADER.search(data[:1024]):
        return _identify_pdf(data)
    if head.startswith(b"PK\x03\x04"):
        found = _identify_package(data)
        if found is not None:
            return found
    if head.startswith(_OLE_MAGIC):
        return _identify_ole(data)
    detected = magic.Magic(mime=True, mime_encoding=True).from_buffer(data[: 1 << 20])
    media_type, _, rest = detected.partition(";")
    charset = rest.strip().removeprefix("charset=") or None
    media_type = media_type.strip()
    key = _MAGIC_MEDIA_TYPES.get(media_type)
    if key is None and media_type == "application/octet-stream" and looks_like_utf16(data):
        key = "txt"  # UTF-16 without a byte-order mark: libmagic does not see text in it
    if key in ("txt", "html", "xml") or media_type.startswith("text/"):
        key = _refine_text(data, key)
    if key is None:
        return Identification(None, None, media_type, charset=charset)
    puid, canonical = FORMATS[key]
    return Identification(key, puid, canonical, charset=charset)


def _refine_text(data: bytes, key: str | None) -> str | None:
    start = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith(b"<?xml"):
        return "html" if b"<html" in data[:4096].lower() else "xml"
    if start.startswith(b"<!doctype html") or start.startswith(b"<html"):
        return "html"
    if start.startswith(b"{\\rtf"):
        return "rtf"
    if len(_EML_HEADERS.findall(data[:8192])) >= 3:
        return "eml"
    return key or "txt"


def _identify_package(data: bytes) -> Identification | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            names = set(package.namelist())
            if "mimetype" in names:
                mimetype = package.read("mimetype")[:100].strip()
                key = _ODF_MIMETYPES.get(mimetype)
                if key:
                    return Identification(key, FORMATS[key][0], FORMATS[key][1])
            if "[Content_Types].xml" in names and "xl/workbook.bin" in names:
                return Identification("xlsb", FORMATS["xlsb"][0], FORMATS["xlsb"][1])
            if "[Content_Types].xml" in names:
                for prefix, key in (("word/", "docx"), ("xl/", "xlsx"), ("ppt/", "pptx")):
                    if any(n.startswith(prefix) for n in names):
                        return Identification(key, FORMATS[key][0], FORMATS[key][1])
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, RuntimeError):
        # A zip we cannot even list: let libmagic name it (and the converter fail it as corrupt).
        return _guess_broken_package(data)
    return Identification("zip", FORMATS["zip"][0], FORMATS["zip"][1])


def _guess_broken_package(data: bytes) -> Identification:
    """A damaged OOXML still shows its part names in the local headers."""
    for marker, key in ((b"word/", "docx"), (b"xl/", "xlsx"), (b"ppt/", "pptx")):
        if marker in data[:1 << 16]:
            return Identification(key, FORMATS[key][0], FORMATS[key][1])
    return Identification("zip", FORMATS["zip"][0], FORMATS["zip"][1])


def _identify_pdf(data: bytes) -> Identification:
    version_match = _PDF_HEADER.search(data[:1024])
    version = version_match.group(1).decode() if version_match else None
    part = _PDFAID_PART.search(data)
    conformance = _PDFAID_CONF.search(data)
    if part and conformance:
        claim = (part.group(1).decode(), conformance.group(1).decode().upper())
        return Identification("pdfa", PDFA_PUIDS.get(claim), "application/pdf", pdfa_claim="".join(claim))
    return Identification("pdf", PDF_VERSION_PUIDS.get(version or "", "fmt/276"), "application/pdf")


# OLE2 (Compound File) containers, told apart by the streams they hold.
_OLE_STREAMS = (("WordDocument", "doc"), ("Workbook", "xls"), ("Book", "xls"), ("PowerPoint Document", "ppt"))


def _identify_ole(data: bytes) -> Identification:
    """Word/Excel/PowerPoint binaries, encrypted OOXML and Outlook messages by their streams.

    olefile reads the directory; msoffcrypto-tool reads each format's own encryption flag
    (Word's FIB, Excel's FILEPASS record, PowerPoint's CryptSession), so a password-protected
    file is named as such before LibreOffice ever sees it.
    """
    import olefile

    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            streams = {"/".join(entry) for entry in ole.listdir(streams=True, storages=True)}
    except Exception:
        puid, media_type = FORMATS["ole"]
        return Identification("ole", puid, media_type)
    if "EncryptionInfo" in streams and "EncryptedPackage" in streams:
        # An encrypted DOCX/XLSX/PPTX: which one is inside cannot be seen without the password.
        puid, media_type = FORMATS["ooxml-encrypted"]
        return Identification("ooxml-encrypted", puid, media_type, encrypted=True)
    if any(name.startswith("__substg1.0_") or name.startswith("__properties_version1.0") for name in streams):
        return Identification("msg", *FORMATS["msg"])
    for stream, key in _OLE_STREAMS:
        if stream in streams:
            puid, media_type = FORMATS[key]
            return Identification(key, puid, media_type, encrypted=_ole_encrypted(data))
    puid, media_type = FORMATS["ole"]
    return Identification("ole", puid, media_type)


def _ole_encrypted(data: bytes) -> bool:
    import msoffcrypto

    try:
        return bool(msoffcrypto.OfficeFile(io.BytesIO(data)).is_encrypted())
    except Exception:
        # A damaged binary: LibreOffice will say whether it can read it.
        return False
