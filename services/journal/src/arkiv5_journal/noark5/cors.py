"""CORS on the Noark 5 interface, as the standard asks (tjenestegrensesnitt, chapter 4 "CORS").

The standard wants a browser application on another origin to be able to use the interface:
the preflight `OPTIONS` of every call that sends data is answered as the CORS specification
describes. Starlette's CORSMiddleware does the work, only for the interface's paths and only
for the origins the operator names (`JOURNAL_NOARK5_CORS_ORIGINS`; none by default, and then
no CORS header is sent at all). Credentials are not allowed: the interface uses no cookies,
a browser application sends its token (or Basic) in the `Authorization` header it sets
itself. A refused preflight is our problem+json with the standard's `feil`.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette._utils import get_route_path
from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from arkiv5_contracts.problem import Problem, problem_type
from arkiv5_kit.errors import problem_response

from .http import PREFIX

ALLOWED_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
# What a Noark 5 client sends beyond the CORS-safelisted headers: its token, the version it read
# (`If-Match`, or `ETag` as some clients send it), a file's name and the chunked upload's headers.
ALLOWED_HEADERS = ("Authorization", "If-Match", "ETag", "Content-Disposition", "Content-Range",
                   "X-Upload-Content-Type", "X-Upload-Content-Length", "X-Correlation-ID")
# What a browser application may read from an answer: the version to send back, the new
# object's address (or the next chunk's), the bytes a chunked upload holds, a download's name,
# how to log in after a 401.
EXPOSED_HEADERS = ("ETag", "Location", "Range", "Content-Disposition", "WWW-Authenticate", "X-Correlation-ID")
PREFLIGHT_MAX_AGE_S = 600


class _Noark5CorsMiddleware(CORSMiddleware):
    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        # Starlette names what it refused ("Disallowed CORS origin, headers"); no value is repeated.
        refused = bytes(response.body).decode().removeprefix("Disallowed CORS ")
        detail = f"This cross-origin request is not allowed (its {refused})."
        problem = Problem(type=problem_type("cors-refused"), title="Cross-origin request refused",
                          status=403, detail=detail, feil={"kode": 403, "beskrivelse": detail})
        return problem_response(problem, {"Vary": response.headers["Vary"]})


class Noark5Cors:
    """CORS for the paths under the interface's root; every other path passes untouched."""

    def __init__(self, app: ASGIApp, *, allowed_origins: list[str]) -> None:
        self.app = app
        self.cors = _Noark5CorsMiddleware(
            app, allow_origins=allowed_origins, allow_methods=ALLOWED_METHODS, allow_headers=ALLOWED_HEADERS,
            expose_headers=EXPOSED_HEADERS, allow_credentials=False, max_age=PREFLIGHT_MAX_AGE_S)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and get_route_path(scope).startswith(PREFIX + "/"):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def add_cors(app: FastAPI, allowed_origins: list[str]) -> None:
    """Outermost, so a preflight is answered before anything else reads the request and every
    answer (a refusal too) carries the headers. Without origins nothing is added."""
    if allowed_origins:
        app.add_middleware(Noark5Cors, allowed_origins=allowed_origins)
