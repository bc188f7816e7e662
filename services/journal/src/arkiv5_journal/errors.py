"""Every error the journal raises on purpose (the lowest floor: imports only the kit).

The kit's handler renders each as problem+json with its status and type slug. Messages name
the field and the rule, never a value the caller sent.
"""

from __future__ import annotations

from arkiv5_kit.errors import (  # noqa: F401 - the kit's general errors, re-exported for the journal's modules
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    Unprocessable,
)


class InvalidTransition(DomainError):
    status, slug, title = 409, "invalid-journalstatus-transition", "This journalstatus change is not allowed"


class UnknownCode(DomainError):
    status, slug, title = 422, "unknown-code", "Unknown code"


class WrongStatus(DomainError):
    status, slug, title = 409, "wrong-status", "Not possible in the record's current status"


class VersionRefused(WrongStatus):
    slug, title = "no-new-version", "No new version of this document can be added"


class ChecksumMismatch(DomainError):
    status, slug, title = 422, "checksum-mismatch", "The document's checksum does not match"


class PreconditionRequired(DomainError):
    status, slug, title = 428, "precondition-required", "If-Match is required"


class PreconditionFailed(DomainError):
    status, slug, title = 412, "precondition-failed", "The record changed since it was read"


class UnsupportedMediaType(DomainError):
    status, slug, title = 415, "unsupported-media-type", "Unsupported media type"


class ImmutableField(DomainError):
    status, slug, title = 422, "immutable-field", "This field cannot be corrected"


class MalformedForm(DomainError):
    status, slug, title = 400, "malformed-multipart", "The multipart body cannot be read"


class IdempotencyKeyReused(Conflict):
    slug, title = "idempotency-key-reused", "Idempotency key reused for a different request"


class NotAcceptable(DomainError):
    status, slug, title = 406, "not-acceptable", "No representation matches the Accept header"


class UnsupportedQuery(DomainError):
    status, slug, title = 400, "unsupported-query", "The query cannot be answered"


class StructureFixed(DomainError):
    """A change to the archive structure the journal has no use case for (it is the archive plan's)."""

    status, slug, title = 403, "structure-fixed", "The archive structure is fixed"


class SizeMismatch(DomainError):
    status, slug, title = 422, "size-mismatch", "The document's size does not match"


class UseChunkedUpload(DomainError):
    """A single POST of a file larger than the interface's bulkgrense: the standard's 403, which
    tells the client to send it in chunks instead."""

    status, slug, title = 403, "use-chunked-upload", "The file is too large for one request: send it in chunks"


class BadChunk(DomainError):
    """A chunk of a chunked upload that does not continue it (a gap, an overlap, a wrong length)."""

    status, slug, title = 400, "bad-chunk", "The chunk does not continue the upload"


class ChunkOutsideUpload(DomainError):
    status, slug, title = 416, "range-not-satisfiable", "The chunk lies outside the announced length"
