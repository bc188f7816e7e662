"""The Noark 5 interface's HTTP conventions: media type, links, ETag headers and errors.

Every error of a Noark 5 route is the kit's problem+json with the standard's `feil`
member beside it (`{"feil": {"kode", "beskrivelse"}}`), so a Noark 5 client and our own
error handling read the same answer. A stale ETag is the standard's 409, not 412.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from arkiv5_contracts.problem import PROBLEM_MEDIA_TYPE, Problem, problem_type
from arkiv5_kit.errors import DomainError, Unprocessable, field_errors, problem_response
from arkiv5_kit.proxy import location

from ..errors import NotAcceptable, PreconditionFailed, UnsupportedMediaType
from . import basic_login

MEDIA_TYPE = "application/vnd.noark5+json"
MERGE_PATCH = "application/merge-patch+json"
REL = "https://rel.arkivverket.no/noark5/v5/api/"
PREFIX = "/noark5/api"
# Media types a JSON answer satisfies (the Noark 5 type is JSON and HAL in the standard's sense).
_JSON_TYPES = {MEDIA_TYPE, "application/json", "application/hal+json", "application/*", "*/*"}


@functools.cache
def rel(name: str) -> str:
    """The relation URI of `name`, e.g. rel("sakarkiv/saksmappe") (always with the trailing slash)."""
    return f"{REL}{name.strip('/')}/"


_ROOT = "arkiv5.noark5.root"


def href(request: Request, path: str) -> str:
    """An absolute link to `path` under the interface's root, as the caller reaches the service."""
    # The root is the same for every link of an answer, and a page of 100 records has about
    # 900 links: it is worked out from the request once and kept in its scope.
    root = request.scope.get(_ROOT)
    if root is None:
        root = request.scope[_ROOT] = f"{request.url.scheme}://{request.url.netloc}{location(request, PREFIX + '/')}"
    return root + path.lstrip("/")


def link(request: Request, path: str, *, templated: bool = False) -> dict[str, Any]:
    target: dict[str, Any] = {"href": href(request, path)}
    if templated:
        target["templated"] = True
    return target


def accepted_types(request: Request) -> list[str]:
    """The media types the Accept header names (quality 0 left out); none means anything."""
    header = request.headers.get("accept", "")
    types = []
    for item in header.split(","):
        media, *params = (part.strip() for part in item.split(";"))
        if media and not any(p.replace(" ", "") in ("q=0", "q=0.0", "q=0.00", "q=0.000") for p in params):
            types.append(media.lower())
    return types or ["*/*"]


def check_accepts_json(request: Request) -> str:
    """The JSON media type to answer with, or 406 if the caller accepts neither form of JSON."""
    wanted = accepted_types(request)
    if not _JSON_TYPES & set(wanted):
        raise NotAcceptable(f"This resource is {MEDIA_TYPE} (or application/json); the Accept header allows neither.")
    return "application/json" if "application/json" in wanted and MEDIA_TYPE not in wanted else MEDIA_TYPE


def check_accepts(request: Request, media_type: str) -> None:
    """406 unless the Accept header allows `media_type` (a file's own type)."""
    main = media_type.split("/")[0].lower()
    if not {media_type.lower(), f"{main}/*", "*/*"} & set(accepted_types(request)):
        raise NotAcceptable(f"The file is {media_type}; the Accept header does not allow it.")


def hal(request: Request, body: dict[str, Any], *, status_code: int = 200, etag: str | None = None,
        location_path: str | None = None) -> JSONResponse:
    headers = {}
    if etag is not None:
        headers["ETag"] = etag
    if location_path is not None:
        headers["Location"] = href(request, location_path)
    return JSONResponse(body, status_code=status_code, media_type=check_accepts_json(request), headers=headers)


def if_match(request: Request) -> str | None:
    """The version the client read: `If-Match`, or the `ETag` request header some Noark 5 clients send."""
    return request.headers.get("if-match") or request.headers.get("etag")


def _error(request: Request, status: int, slug: str, title: str, detail: str, **extensions: Any) -> JSONResponse:
    problem = Problem(type=problem_type(slug), title=title, status=status, detail=detail,
                      instance=request.url.path, feil={"kode": status, "beskrivelse": detail}, **extensions)
    challenge = {"WWW-Authenticate": 'Bearer, Basic realm="Noark 5"'} if status == 401 else None
    response = problem_response(problem, challenge)
    response.headers["Content-Type"] = PROBLEM_MEDIA_TYPE
    return response


class Noark5Route(APIRoute):
    """A route whose refusals carry the standard's `feil`, whose stale ETag is a 409, and that takes HTTP Basic."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def noark5_handler(request: Request) -> Response:
            basic_key = None
            try:
                basic_key = await basic_login.exchange(request)
                return await handler(request)
            except PreconditionFailed as exc:
                return _error(request, 409, "conflict", "Conflict", exc.detail, **exc.extensions)
            except DomainError as exc:
                if exc.status == 401 and basic_key is not None:
                    basic_login.forget(request, basic_key)
                return _error(request, exc.status, exc.slug, exc.title, exc.detail, **exc.extensions)
            except RequestValidationError as exc:
                fields = field_errors([{k: v for k, v in e.items() if k != "input"} for e in exc.errors()])
                detail = "; ".join(f"{f.field}: {f.message}" for f in fields[:5])
                return _error(request, 422, "validation-error", "Invalid request", detail, errors=fields)

        return noark5_handler


_JSON_BODY_TYPES = {MEDIA_TYPE, "application/json", MERGE_PATCH}


async def json_object(request: Request, *, read_only: frozenset[str]) -> dict[str, Any]:
    """The request's JSON object without what the server sets (`_links`, systemID, dates, numbers).

    A Noark 5 client posts the template back filled in, so the fields the server owns are
    dropped, not refused; every other field is checked by our own model.
    """
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in _JSON_BODY_TYPES:
        raise UnsupportedMediaType(f"Send the object as {MEDIA_TYPE} or application/json.")
    try:
        body = json.loads(await request.body() or b"null")
    except ValueError:
        raise Unprocessable("The body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise Unprocessable("The body must be a JSON object.")
    return {name: value for name, value in body.items() if name not in read_only and name != "_links"}
