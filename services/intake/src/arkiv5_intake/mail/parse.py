"""What a raw e-mail holds for the archive, read with the standard library's `email` package.

Noark 5 e-mail storage (noark5-tester `epostlagring.md`): the original message is the
hoveddokument (`message/rfc822`), each attached MIME part a vedlegg, one korrespondansepart
per From, To and Cc address, the subject RFC 2047-decoded, Message-ID and References kept.
A forwarded message (message/rfc822) is one vedlegg of its own; it is not opened further.
An S/MIME signature (application/pkcs7-signature) is kept as a vedlegg; the signed body is
the mail itself.
"""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage, Message
from email.utils import getaddresses, parsedate_to_datetime


@dataclass(frozen=True)
class Address:
    navn: str
    epost: str


@dataclass(frozen=True)
class Vedlegg:
    filnavn: str
    media_type: str
    innhold: bytes


@dataclass
class ParsedMail:
    message_id: str | None
    references: list[str]
    subject: str
    date: date | None
    sender: list[Address]
    to: list[Address]
    cc: list[Address]
    vedlegg: list[Vedlegg] = field(default_factory=list)


def parse_mail(raw: bytes) -> ParsedMail:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return ParsedMail(
        message_id=_header(message, "Message-ID"),
        references=(_header(message, "References") or "").split(),
        subject=_header(message, "Subject") or "",
        date=_date(message),
        sender=_addresses(message, "From"),
        to=_addresses(message, "To"),
        cc=_addresses(message, "Cc"),
        vedlegg=list(_attachments(message)),
    )


def _header(message: EmailMessage, name: str) -> str | None:
    try:
        value = message.get(name)
    except (ValueError, IndexError):  # a malformed header: read as absent, never a crash
        return None
    if value is None:
        return None
    return " ".join(str(value).split()) or None


def _date(message: EmailMessage) -> date | None:
    value = _header(message, "Date")
    if value is None:
        return None
    try:
        return parsedate_to_datetime(value).date()
    except (TypeError, ValueError):
        return None


def _addresses(message: EmailMessage, name: str) -> list[Address]:
    values = [str(v) for v in message.get_all(name, [])]
    return [Address(navn=n or a, epost=a) for n, a in getaddresses(values) if a]


def _attachments(message: Message, counter: list[int] | None = None):  # type: ignore[no-untyped-def]
    """Every attached part, depth first; the bodies of multipart/alternative are the mail itself."""
    counter = counter if counter is not None else [0]
    for part in message.iter_parts() if isinstance(message, EmailMessage) else []:
        content_type = part.get_content_type()
        if part.is_multipart() and content_type != "message/rfc822":
            yield from _attachments(part, counter)
            continue
        filename = part.get_filename()
        disposition = part.get_content_disposition()
        is_signature = content_type in ("application/pkcs7-signature", "application/x-pkcs7-signature")
        if content_type == "message/rfc822":
            inner = part.get_payload(0) if part.is_multipart() else part.get_payload()
            data = inner.as_bytes() if isinstance(inner, Message) else bytes(part.get_payload(decode=True) or b"")
            counter[0] += 1
            yield Vedlegg(filename or f"videresendt-{counter[0]}.eml", "message/rfc822", data)
        elif disposition == "attachment" or filename or is_signature:
            counter[0] += 1
            payload = part.get_payload(decode=True)
            yield Vedlegg(filename or f"vedlegg-{counter[0]}", content_type,
                          payload if isinstance(payload, bytes) else b"")
