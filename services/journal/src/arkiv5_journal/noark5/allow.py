"""`Allow` on the Noark 5 interface: what a resource takes, asked with OPTIONS or read beside an answer.

A Noark 5 client finds out what it may do with a resource by asking it with `OPTIONS` (HTTP,
RFC 9110 §9.3.7: the answer's `Allow` names the methods), and the clients written for the
reference implementation also read `Allow` beside a GET's answer (is this object changeable,
is this `ny-*` a template to POST to). So every answer of an interface resource names its
methods, and an `OPTIONS` of a resource is a 200 with no body and that `Allow`, not a 405 (it
describes the resource's address, whether or not an object is there). A path no route of the
interface has stays a 404. A CORS preflight from a named origin never gets
here: the CORS middleware outside answers it (cors.py).

The methods of a resource are those of the interface's routes sharing its path template, worked
out once; after routing the template is in the request's scope, so an answer costs
one dictionary lookup.
"""

from __future__ import annotations

from collections import defaultdict

from fastapi.routing import APIRoute
from starlette._utils import get_route_path
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import routers
from .http import PREFIX

# The order `Allow` lists the methods in (reads first, as the reference implementation does).
_METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allow_value(methods: set[str]) -> str:
    """The `Allow` value of a set of methods, OPTIONS always among them. No space after the
    comma: valid HTTP, and what the reference implementation's clients split on."""
    return ",".join(method for method in _METHOD_ORDER if method in methods | {"OPTIONS"})


class Noark5Allow:
    """Adds `Allow` to the answers of the interface's resources and answers their OPTIONS."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # The interface's routers carry their whole paths (they are included without a prefix).
        self.routes = [route for router in routers for route in router.routes if isinstance(route, APIRoute)]
        methods: dict[str, set[str]] = defaultdict(set)
        for route in self.routes:
            methods[route.path_format] |= route.methods or set()
        self.allow_by_template = {template: allow_value(found) for template, found in methods.items()}

    def _resource_of(self, scope: Scope) -> str | None:
        """The path template of the resource an OPTIONS names, if the path names one."""
        for route in self.routes:
            if route.matches(scope)[0] is not Match.NONE:
                return route.path_format
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not get_route_path(scope).startswith(PREFIX + "/"):
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS":
            template = self._resource_of(scope)
            allow = self.allow_by_template.get(template) if template else None
            if allow is not None:
                await send({"type": "http.response.start", "status": 200,
                            "headers": [(b"allow", allow.encode()), (b"content-length", b"0")]})
                await send({"type": "http.response.body", "body": b""})
                return

        async def send_with_allow(message: Message) -> None:
            if message["type"] == "http.response.start":
                route = scope.get("route")
                allow = self.allow_by_template.get(route.path_format) if isinstance(route, APIRoute) else None
                headers = message.get("headers", [])
                # A 405 of the router names the methods already.
                if allow is not None and not any(name.lower() == b"allow" for name, _ in headers):
                    message["headers"] = [*headers, (b"allow", allow.encode())]
            await send(message)

        await self.app(scope, receive, send_with_allow)
