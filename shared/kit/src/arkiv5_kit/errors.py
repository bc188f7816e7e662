"""Domain errors and the one place that renders every error as problem+json.

Services raise `DomainError` subclasses (never HTTPException); `add_exception_handlers`
turns them, validation failures, unknown routes and unexpected crashes into RFC 9457
documents. Validation errors name the field and the reason but never echo the input
(it may be a fødselsnummer); a crash answers 500 with the correlation id and no trace.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from arkiv5_contracts.problem import PROBLEM_MEDIA_TYPE, FieldError, Problem, problem_type

from .context import correlation_id_var

log = logging.getLogger(__name__)


class DomainError(Exception):
    """Base of every error a service raises on purpose. Subclasses set status and slug."""

    status: ClassVar[int] = 400
    slug: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions


class NotFound(DomainError):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(DomainError):
    status, slug, title = 409, "conflict", "Conflict"


class Unprocessable(DomainError):
    status, slug, title = 422, "unprocessable", "The request cannot be carried out"


class Unauthorized(DomainError):
    status, slug, title = 401, "unauthorized", "Authentication required"


class Forbidden(DomainError):
    status, slug, title = 403, "forbidden", "Not allowed"


class PayloadTooLarge(DomainError):
    status, slug, title = 413, "payload-too-large", "Payload too large"


def problem_response(problem: Problem, headers: dict[str, str] | None = None) -> JSONResponse:
    correlation = correlation_id_var.get()
    if correlation is not None and problem.correlation_id is None:
        problem.correlation_id = str(correlation)
    return JSONResponse(
        problem.model_dump(exclude_none=True), status_code=problem.status, media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def field_errors(errors: list[dict[str, Any]]) -> list[FieldError]:
    return [
        FieldError(field=".".join(str(part) for part in error["loc"]), message=error["msg"], code=error["type"])
        for error in errors
    ]


def add_exception_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        problem = Problem(
            type=problem_type(exc.slug), title=exc.title, status=exc.status, detail=exc.detail,
            instance=request.url.path, **exc.extensions,
        )
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return problem_response(problem, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{k: v for k, v in e.items() if k != "input"} for e in exc.errors()]
        fields = field_errors(errors)
        detail = "; ".join(f"{f.field}: {f.message}" for f in fields[:5])
        return problem_response(
            Problem(
                type=problem_type("validation-error"), title="Invalid request", status=422,
                detail=detail, instance=request.url.path, errors=fields,
            )
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem_response(
            Problem(title=_reason(exc.status_code), status=exc.status_code, detail=str(exc.detail),
                    instance=request.url.path),
            headers=dict(exc.headers) if exc.headers else None,
        )



def internal_error_response(request_path: str) -> JSONResponse:
    """The answer to a crash: 500, what to quote, and nothing of the internals."""
    return problem_response(
        Problem(
            type=problem_type("internal-error"), title="Internal error", status=500,
            detail="The request failed on our side and changed nothing. Quote the correlation id.",
            instance=request_path,
        )
    )


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
