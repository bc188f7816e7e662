"""The SvarUt v3 forsendelse built from the journal's material (field names as KS spells them)."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from .addressing import Channel, Refusal, Route
from .material import DispatchMaterial, NoarkMetadata, PostalAddress

OSLO = ZoneInfo("Europe/Oslo")
PDF = "application/pdf"
MAX_TITLE = 1000
MAX_FILENAME = 226
_FORBIDDEN_IN_FILENAME = re.compile(r'[*:"\\/<>|?\x00-\x1f\x7f]')


@dataclass(frozen=True)
class Document:
    filnavn: str
    content: bytes
    mime_type: str = PDF


@dataclass
class Forsendelse:
    channel: Channel
    metadata: dict[str, Any]
    files: list[Document] = field(default_factory=list)


def valid_unique_filenames(names: list[str | None]) -> list[str]:
    """KS: ≤ 226 characters, none of * : " \\ / < > | ?, unique within the forsendelse; all PDFs here."""
    result: list[str] = []
    taken: set[str] = set()
    for index, raw in enumerate(names, start=1):
        stem = _FORBIDDEN_IN_FILENAME.sub("_", (raw or "").strip())
        stem = " ".join(stem.split()).strip(". ")
        if stem.lower().endswith(".pdf"):
            stem = stem[:-4].rstrip(". ")
        stem = stem or f"dokument-{index}"
        candidate, n = stem, 1
        while True:
            name = candidate[: MAX_FILENAME - 4] + ".pdf"
            if name.lower() not in taken:
                break
            n += 1
            suffix = f" ({n})"
            candidate = stem[: MAX_FILENAME - 4 - len(suffix)] + suffix
        taken.add(name.lower())
        result.append(name)
    return result


def check_pdf(content: bytes) -> Refusal | None:
    """Refuse what SvarUt would refuse or could not print: not a PDF, or password-protected."""
    try:
        reader = PdfReader(io.BytesIO(content))
        encrypted = reader.is_encrypted
    except (PdfReadError, ValueError, OSError):
        return Refusal("unreadable-pdf", "A document is not a readable PDF; convert it to PDF/A and send again.")
    if encrypted:
        return Refusal(
            "password-protected-pdf",
            "A document is a password-protected PDF, which SvarUt refuses; "
            "remove the password and send again.",
        )
    return None


def check_size(documents: list[Document], *, max_total_bytes: int) -> Refusal | None:
    total = sum(len(d.content) for d in documents)
    if total > max_total_bytes:
        return Refusal(
            "too-large",
            f"The documents are {total // 1_000_000} MB together; SvarUt accepts at most "
            f"{max_total_bytes // 1_000_000} MB for a letter that may go to print.",
        )
    return None


def _address(address: PostalAddress) -> dict[str, Any]:
    return {k: v for k, v in address.model_dump().items() if v}


def _datetime(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0), tzinfo=OSLO)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=OSLO)
    return value.isoformat()


def noark_metadata(metadata: NoarkMetadata, tittel: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "saksaar": metadata.saksaar,
        "sakssekvensnummer": metadata.sakssekvensnummer,
        "journalaar": metadata.journalaar,
        "journalsekvensnummer": metadata.journalsekvensnummer,
        "journalpostnummer": metadata.journalpostnummer,
        "journalposttype": metadata.journalposttype,
        "journalstatus": metadata.journalstatus,
        "journaldato": _datetime(metadata.journaldato),
        "dokumentetsDato": _datetime(metadata.dokumentetsDato),
        "tittel": tittel,
        "saksbehandler": (metadata.saksbehandler or "")[:100] or None,
    }
    return {k: v for k, v in data.items() if v not in (None, "")}


def build_forsendelse(
    *,
    material: DispatchMaterial,
    navn: str,
    route: Route,
    documents: list[Document],
    ekstern_referanse: str,
    avgivende_system: str | None = None,
    encrypted: bool = False,
) -> Forsendelse:
    """The forsendelse JSON and its files, in order (hoveddokument first)."""
    tittel = " ".join(material.tittel.split())[:MAX_TITLE] or "Brev"
    dokumenter: list[dict[str, Any]] = [{"filnavn": d.filnavn, "mimeType": d.mime_type} for d in documents]
    metadata: dict[str, Any] = {"tittel": tittel, "eksternReferanse": ekstern_referanse, "dokumenter": dokumenter}
    if avgivende_system:
        metadata["avgivendeSystem"] = avgivende_system
    if route.channel is Channel.PRINT:
        assert route.address is not None
        metadata["mottaker"] = {"navn": navn, "adresse": _address(route.address)}
    else:
        mottaker: dict[str, Any] = {"navn": navn, "digitalId": route.digital_id}
        if route.address is not None:
            mottaker["adresse"] = _address(route.address)
        metadata["mottaker"] = mottaker
        metadata["kunDigitalLevering"] = False  # SvarUt prints when digital delivery fails
    if route.high_security:
        metadata["sikkerhetsniva"] = "HOYESTE"
    if encrypted:
        metadata["kryptert"] = True
    if route.channel is Channel.ORGANISASJON:
        metadata["metadataFraAvleverendeSystem"] = noark_metadata(material.metadata, tittel)
        if route.confidential:
            metadata["taushetsbelagtPost"] = True
    return Forsendelse(route.channel, metadata, list(documents))
