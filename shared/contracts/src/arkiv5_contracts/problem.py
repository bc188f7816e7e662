"""The problem+json error model (RFC 9457) every Arkiv5 API answers errors with."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://arkiv5.no/problems/"


class FieldError(BaseModel):
    """One invalid field: where it is and why it was refused (never the value itself)."""

    field: str = Field(description="Dotted path of the field, e.g. body.korrespondansepart.0.fodselsnummer")
    message: str
    code: str = Field(description="Machine-readable reason, e.g. missing, value_error")


class Problem(BaseModel):
    """An RFC 9457 problem document. `type` is a stable URI per kind of problem."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] | None = Field(default=None, description="Per-field errors (422)")
    correlation_id: str | None = Field(default=None, description="Quote it when reporting the problem")


def problem_type(slug: str) -> str:
    """The type URI of a problem kind, e.g. problem_type('validation-error')."""
    return PROBLEM_TYPE_BASE + slug
