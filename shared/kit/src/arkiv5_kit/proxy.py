"""Serving behind a path prefix: the ingress's `X-Forwarded-Prefix`, and links that carry it.

On Kubernetes the ingress controller strips `/journal` from `https://<host>/journal/…` and
sends it as `X-Forwarded-Prefix: /journal`; in the one-process suite the service is mounted
under `/journal` (Starlette sets `root_path`). Either way a link the service hands out —
`Location`, the OpenAPI `servers`, the docs page — must name the path the caller used, so
both end up in the ASGI `root_path`, and `location()` builds every link from it.

A prefix is accepted only as one or more plain path segments (`/[a-z0-9-]+`…); anything else
is ignored, so the header cannot smuggle a host, a scheme or a header break into a link.
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

HEADER = b"x-forwarded-prefix"
_PREFIX = re.compile(r"(/[A-Za-z0-9][A-Za-z0-9._-]*)+")


def forwarded_prefix(scope: Scope) -> str | None:
    """The prefix the proxy stripped, if it sent a well-formed one."""
    for name, value in scope.get("headers", ()):
        if name == HEADER:
            prefix = value.decode("latin-1").strip().rstrip("/")
            return prefix if _PREFIX.fullmatch(prefix) else None
    return None


class ForwardedPrefixMiddleware:
    """Puts the proxy's stripped prefix back into `root_path` (and `path`, as ASGI expects)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            prefix = forwarded_prefix(scope)
            if prefix and not scope.get("root_path"):
                scope = dict(scope)
                scope["root_path"] = prefix
                scope["path"] = prefix + scope["path"]
                if "raw_path" in scope and scope["raw_path"] is not None:
                    scope["raw_path"] = prefix.encode("latin-1") + scope["raw_path"]
        await self.app(scope, receive, send)


def location(request: Request, path: str) -> str:
    """A link to `path` (service-relative, starting with "/") as the caller reaches it."""
    return f"{request.scope.get('root_path', '').rstrip('/')}{path}"
