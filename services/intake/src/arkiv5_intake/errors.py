"""Intake's errors: Fiks Arkiv feilmeldinger raised by the handler, and the HTTP API's domain errors."""

from __future__ import annotations

from arkiv5_kit.errors import Conflict, DomainError, NotFound


class FiksFeil(Exception):
    """A message that gets a feilmelding; the text says what is wrong and never echoes input values."""

    def __init__(self, melding: str) -> None:
        super().__init__(melding)
        self.melding = melding


class Ugyldig(FiksFeil):
    """ugyldigforespoersel: the message breaks its schema or asks for something this archive cannot do."""


class IkkeFunnet(FiksFeil):
    """ikkefunnet: the message names a record that does not exist."""


class MissingHeader(DomainError):
    status, slug, title = 400, "missing-header", "A required header is missing"


class MessageTooLarge(DomainError):
    status, slug, title = 413, "payload-too-large", "Payload too large"


class MailNotFound(NotFound):
    slug = "mail-not-found"


class MailAlreadyHandled(Conflict):
    slug = "mail-already-handled"
