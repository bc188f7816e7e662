"""Which SvarUt channel a recipient gets (the municipality's routine, seed 000).

* a person with a valid fødselsnummer or D-nummer → the person endpoint (digital delivery,
  SvarUt prints if digital delivery fails);
* an organisation with a valid organisasjonsnummer → the organisation endpoint;
* neither number, but a sensible postal address → print (PDF only);
* otherwise the dispatch is refused with a reason a case handler can act on.

A number that is present but invalid is refused (`invalid-fodselsnummer`,
`invalid-organisasjonsnummer`), never printed instead: the journal registers no party with
an invalid number, so one reaching the gateway was changed outside Arkiv5, and a letter
whose recipient is in doubt must not go out on paper to whatever address is on file.

Screened (exempt) letters go to persons with SvarUt's highest security level (encrypted
documents) and to organisations as confidential post (taushetsbelagt post); paper post is
allowed for them too. Reasons never contain the number, the name or the address.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from arkiv5_contracts.identifiers import IdentifierError, validate_fodselsnummer, validate_orgnr

from .material import PostalAddress, Recipient

MAX_NAME = 100  # Mottaker.navn / Postadresse.navn
MAX_ADDRESS_LINE = 70  # Adresse.adresselinje1..3, poststed
_NORWEGIAN_POSTNUMMER = re.compile(r"^\d{4}$")
_LANDKODE = re.compile(r"^[A-Z]{2}$")


class Channel(StrEnum):
    PERSON = "person"
    ORGANISASJON = "organisasjon"
    PRINT = "print"


@dataclass(frozen=True)
class Route:
    channel: Channel
    digital_id: str | None
    address: PostalAddress | None  # only when sensible; sent along for print fallback
    high_security: bool = False  # sikkerhetsniva HOYESTE + kryptert documents
    confidential: bool = False  # taushetsbelagtPost to an organisation


@dataclass(frozen=True)
class Refusal:
    reason_code: str
    reason: str


def route(recipient: Recipient, *, screened: bool) -> Route | Refusal:
    """The channel for one recipient, or why it cannot be sent."""
    name = (recipient.navn or "").strip()
    if not name:
        return Refusal("missing-name", "The recipient has no name; SvarUt requires one.")
    if len(name) > MAX_NAME:
        return Refusal("name-too-long", f"The recipient's name is longer than {MAX_NAME} characters.")

    address, address_problem = _sensible_address(recipient.postadresse)

    if recipient.fodselsnummer:
        try:
            fnr = validate_fodselsnummer(recipient.fodselsnummer)
        except IdentifierError as exc:
            return _invalid_number("invalid-fodselsnummer", "fødselsnummer", exc)
        return Route(Channel.PERSON, fnr, address, high_security=screened)

    if recipient.organisasjonsnummer:
        try:
            orgnr = validate_orgnr(recipient.organisasjonsnummer)
        except IdentifierError as exc:
            return _invalid_number("invalid-organisasjonsnummer", "organisasjonsnummer", exc)
        return Route(Channel.ORGANISASJON, orgnr, address, confidential=screened)

    if address is not None:
        return Route(Channel.PRINT, None, address)

    return Refusal(
        "no-valid-address",
        "The letter cannot be sent to this recipient: it has neither a fødselsnummer nor an organisasjonsnummer, "
        f"and the postal address {address_problem}. Correct the korrespondansepart and send again.",
    )


def _invalid_number(code: str, what: str, exc: IdentifierError) -> Refusal:
    return Refusal(
        code,
        f"The recipient's {what} is not valid ({_why(exc)}); nothing was sent. Correct the korrespondansepart "
        "(a valid number, or no number and a full postal address for paper post) and send again.",
    )


def _why(exc: IdentifierError) -> str:
    # The identifier module's message is "Not a valid X: <why>" and holds no digits.
    return exc.message.split(": ", 1)[-1]


def _sensible_address(address: PostalAddress | None) -> tuple[PostalAddress | None, str]:
    """The address cleaned up if a letter can reach it, else (None, what is wrong)."""
    if address is None:
        return None, "is missing"

    def clean(value: str | None) -> str | None:
        value = " ".join((value or "").split())
        return value or None

    lines = [line for line in (clean(address.adresselinje1), clean(address.adresselinje2),
                               clean(address.adresselinje3)) if line]
    postnummer = clean(address.postnummer)
    poststed = clean(address.poststed)
    landkode = (clean(address.landkode) or "NO").upper()

    if not lines:
        return None, "has no address line"
    if not poststed:
        return None, "has no poststed"
    if any(len(line) > MAX_ADDRESS_LINE for line in [*lines, poststed]):
        return None, f"has a line longer than {MAX_ADDRESS_LINE} characters"
    if not _LANDKODE.match(landkode):
        return None, "has a country code that is not ISO 3166 (two letters)"
    if landkode == "NO":
        if not postnummer:
            return None, "has no postnummer"
        if not _NORWEGIAN_POSTNUMMER.match(postnummer):
            return None, "has a postnummer that is not four digits"
    elif postnummer and len(postnummer) > 20:
        return None, "has a postnummer longer than 20 characters"

    return PostalAddress(
        adresselinje1=lines[0],
        adresselinje2=lines[1] if len(lines) > 1 else None,
        adresselinje3=lines[2] if len(lines) > 2 else None,
        postnummer=postnummer,
        poststed=poststed,
        landkode=landkode,
    ), ""
