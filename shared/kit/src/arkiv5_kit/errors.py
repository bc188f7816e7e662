"""Domain errors and the one place that renders every error as problem+json.

Services raise `DomainError` subclasses (never HTTPException); `add_exception_handlers`
turns them, validation failures, unknown routes and unexpected crashes into RFC 9457
documents. Validation errors name the field and the reason but never echo the input
(it may be a fødselsnummer); a crash answers 500 with the correlation id and no trace.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
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


def field_errors(errors: Sequence[Mapping[str, Any]]) -> list[FieldError]:
    """Each error by field and rule; the message never carries the value that was sent."""
    return [
        FieldError(field=".".join(str(part) for part in error["loc"]), message=safe_message(error), code=error["type"])
        for error in errors
    ]


_LONG_NUMBER = re.compile(r"\d{6,}")
_GENERIC = {
    "enum": "the value is not one of the allowed codes",
    "literal_error": "the value is not one of the allowed values",
    "string_pattern_mismatch": "the value does not have the required form",
}


def safe_message(error: Mapping[str, Any]) -> str:
    """pydantic's message, unless it quotes the input (a validator's own text often does:
    "'12345678901' is not a valid Kode") or any long number; then the rule alone."""
    message = str(error.get("msg", ""))
    value = error.get("input")
    quotes_input = isinstance(value, (str, int, float)) and len(str(value)) >= 2 and str(value) in message
    if quotes_input or _LONG_NUMBER.search(message):
        return _GENERIC.get(str(error.get("type")), "the value is not valid here")
    return message


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

    @app.exception_handler(RecursionError)
    async def _recursion(request: Request, exc: RecursionError) -> JSONResponse:
        # Input nested too deeply for a parser that recurses (the input policy stops JSON before this).
        return problem_response(
            Problem(type=problem_type("json-too-deep"), title="Input nested too deeply", status=400,
                    detail="The input is nested too deeply to be read.", instance=request.url.path)
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers) if exc.headers else {}
        if exc.status_code == 405:
            # Starlette lists the methods of the first route whose path matched; a path that
            # fits two templates ("/jobs/{id}" and "/jobs/rerun") allows the methods of both.
            from .inputs import allowed_methods

            allowed = allowed_methods(request.app.router, request.scope)
            if allowed:
                headers["Allow"] = ", ".join(allowed)
        return problem_response(
            Problem(title=_reason(exc.status_code), status=exc.status_code, detail=str(exc.detail),
                    instance=request.url.path),
            headers=headers or None,
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


# Every status the kit itself can answer on an operation, and when it applies.
_PROBLEM_STATUSES: dict[int, str] = {
    400: "Bad request: the input cannot be read (e.g. JSON nested too deeply) or breaks a rule",
    401: "No valid bearer token",
    403: "The token is valid but does not allow this",
    404: "Not found (or not visible to the caller)",
    409: "Conflicts with the stored state",
    413: "The request body is over the limit",
    415: "The body's media type is not accepted",
    422: "Invalid request: `errors` names each field and rule, never the value",
    500: "Failed on our side; changed nothing. Quote the correlation id",
    503: "A dependency (the database) is not reachable just now",
}
PUBLIC_PATH_PREFIXES = ("/healthz", "/.well-known", "/oauth2", "/metrics")


def declare_problem_responses(app: FastAPI, *, public_paths: Sequence[str] = PUBLIC_PATH_PREFIXES) -> None:
    """Make the OpenAPI document say what every operation answers on failure: problem+json
    (the `Problem` schema) for each 4xx/5xx that can apply to it, instead of FastAPI's
    lone 422 `HTTPValidationError`."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        from fastapi.openapi.utils import get_openapi

        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes,
                             openapi_version=app.openapi_version, servers=app.servers)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["Problem"] = _problem_schema()
        components["FieldError"] = FieldError.model_json_schema()
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                if isinstance(operation, dict) and "responses" in operation:
                    _hoist_definitions(operation, components)
                    _declare(operation, path, method, public=path.startswith(tuple(public_paths)))
        for unused in ("HTTPValidationError", "ValidationError"):
            if unused in components and unused not in str(schema.get("paths")):
                del components[unused]
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to customise the schema


def _problem_schema() -> dict[str, Any]:
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.pop("$defs", None)
    return schema


def model_schema(model: type[Any]) -> dict[str, Any]:
    """A pydantic model as an OpenAPI schema for a route's `openapi_extra` (a body FastAPI does not
    parse itself): a reference to the model in `components`, which the document then defines."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    definitions = schema.pop("$defs", {})
    return {"$ref": f"#/components/schemas/{model.__name__}", "$defs": {**definitions, model.__name__: schema}}


def _hoist_definitions(node: Any, components: dict[str, Any]) -> None:
    """Move the `$defs` of `model_schema` into `components` (FastAPI's own names win)."""
    if isinstance(node, dict):
        for name, definition in (node.pop("$defs", None) or {}).items():
            components.setdefault(name, definition)
        for value in node.values():
            _hoist_definitions(value, components)
    elif isinstance(node, list):
        for value in node:
            _hoist_definitions(value, components)


def _declare(operation: dict[str, Any], path: str, method: str, *, public: bool) -> None:
    has_body = "requestBody" in operation or method in ("post", "put", "patch")
    statuses = {400, 422, 500, 503}
    if not public:
        statuses |= {401, 403}
    if "{" in path or not public:
        statuses.add(404)  # the record in the path, or one the body or query names
    if method in ("post", "put", "patch", "delete"):
        statuses.add(409)
    if has_body:
        statuses |= {413, 415}
    content = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    responses = operation["responses"]
    for status in sorted(statuses):
        existing = responses.get(str(status))
        if existing is None or status == 422:
            responses[str(status)] = {"description": _PROBLEM_STATUSES[status], "content": content}
        elif PROBLEM_MEDIA_TYPE not in existing.get("content", {}):
            existing.setdefault("content", {})[PROBLEM_MEDIA_TYPE] = content[PROBLEM_MEDIA_TYPE]
    for status, declared in responses.items():
        # A status the route declares itself (a 412, a 428) is answered by the same handler.
        if status[:1] in ("4", "5") and isinstance(declared, dict):
            given = {media: body for media, body in (declared.get("content") or {}).items() if body.get("schema")}
            declared["content"] = {**given, **content}
