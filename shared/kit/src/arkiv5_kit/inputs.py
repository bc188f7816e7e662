"""One input policy for every service, enforced before a request body is parsed.

`InputPolicyMiddleware` (installed by `create_service_app`) refuses, with a problem+json
that names the field or parameter and never repeats its value:

- a body over its limit — 413, from the Content-Length or at the chunk that passes it
  (JSON and urlencoded forms: `InputLimits.json_bytes`; a route that reads a stream, such
  as an upload: its own `@body_limit` or `InputLimits.stream_bytes`);
- JSON nested deeper than `InputLimits.json_depth` — 400 (a deep body would exhaust the
  parser's recursion);
- a control character other than tab, newline and CR, or a lone surrogate, in a JSON
  string or key, a query parameter, a path segment or a multipart file name — 422 with
  `errors[].code = "control_character"`. (An urlencoded form is limited in size only: the
  OAuth2 token endpoint answers its own `invalid_request`, as RFC 6749 wants.)

A client that goes away in the middle of its request body is an INFO line and status
499 in the metrics, not an error: nothing was stored and nobody is waiting for the answer.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import parse_qsl, unquote

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette._utils import get_route_path
from starlette.requests import ClientDisconnect
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from arkiv5_contracts.problem import FieldError, Problem, problem_type

from .errors import DomainError, problem_response
from .limits import BODY_LIMIT_ATTRIBUTE, InputLimits, first_forbidden_character

log = logging.getLogger(__name__)

CLIENT_CLOSED_REQUEST = 499  # the status nginx made common for "the client went away"
# A refused body up to this size is read and dropped before the answer, so that a client
# still sending sees the 413 instead of a reset connection; a larger one is cut off.
DRAIN_MAX_BYTES = 16 * 1024 * 1024

# Any escape in a JSON string (a pair `\\` counts as one, so `\\u0000` is text, not NUL).
_ESCAPE = re.compile(rb"\\(u[0-9a-fA-F]{4}|.)", re.DOTALL)
_ALLOWED_ESCAPES = {b"t", b"n", b"r", b'"', b"\\", b"/", b"u0009", b"u000a", b"u000A", b"u000d", b"u000D"}
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(rb"[\[\]{}]")


class InputRefused(DomainError):
    """A request the input policy refuses; rendered by the kit's one problem handler."""


class BodyTooLarge(InputRefused):
    status, slug, title = 413, "payload-too-large", "Payload too large"


class MethodNotAllowed(InputRefused):
    status, slug, title = 405, "method-not-allowed", "Method Not Allowed"

    def __init__(self, allowed: list[str]) -> None:
        super().__init__("This path does not take this method.")
        self.allow = ", ".join(allowed)


class JsonTooDeep(InputRefused):
    status, slug, title = 400, "json-too-deep", "JSON nested too deeply"


class ControlCharacter(InputRefused):
    status, slug, title = 422, "validation-error", "Invalid request"

    def __init__(self, field: str) -> None:
        super().__init__(
            f"{field}: contains a control character (only tab, newline and carriage return are allowed in text)",
            errors=[FieldError(field=field, code="control_character",
                               message="contains a control character or an invalid Unicode character").model_dump()],
        )


@dataclass
class _RouteInfo:
    route: Any
    path_params: dict[str, Any]
    parses_body: bool
    limit: int | None


class InputPolicyMiddleware:
    """Pure ASGI middleware; `routes_of` is the FastAPI app whose routes it matches requests to."""

    def __init__(self, app: ASGIApp, *, routes_of: Any, limits: InputLimits) -> None:
        self.app = app
        self.routes_of = routes_of
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        info = self._route(scope)
        allowed = allowed_methods(self.routes_of, scope)
        method = scope.get("method", "")
        if allowed and method not in allowed and method != "OPTIONS" and info.route is not None:
            # The path names a template ("/jobs/rerun-failed") that does not take this method;
            # Starlette would hand it to a parameterised one ("/jobs/{job_id}") and answer 422.
            await _refuse(MethodNotAllowed(allowed), scope, receive, send, info)
            return
        try:
            _check_path(scope, info)
            _check_query(scope)
        except InputRefused as refused:
            await _refuse(refused, scope, receive, send, info)
            return
        headers = _headers(scope)
        media_type = headers.get("content-type", "").split(";")[0].strip().lower()
        kind = _body_kind(media_type, info.parses_body)
        limit = info.limit or {"json": self.limits.json_bytes, "form": self.limits.form_bytes}.get(
            kind, self.limits.stream_bytes)
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            if int(length) <= DRAIN_MAX_BYTES:
                await _drain(receive)
            await _refuse(_too_large(limit), scope, receive, send, info)
            return
        if kind in ("json", "form"):
            try:
                body = await _read_capped(receive, limit)
            except ClientDisconnect:
                await _aborted(scope, send, info)
                return
            except InputRefused as refused:
                await _drain(receive)
                await _refuse(refused, scope, receive, send, info)
                return
            try:
                if kind == "json":
                    _check_json(body, self.limits.json_depth)
            except InputRefused as refused:
                await _refuse(refused, scope, receive, send, info)
                return
            await self._call(scope, _replay(body, receive), send, info)
            return
        await self._call(scope, _StreamGuard(receive, limit, headers.get("content-type", "")), send, info)

    async def _call(self, scope: Scope, receive: Receive, send: Send, info: _RouteInfo) -> None:
        guard = receive if isinstance(receive, _StreamGuard) else None
        started = swallowed = False

        async def send_guarded(message: Message) -> None:
            nonlocal started, swallowed
            if message["type"] == "http.response.start" and guard is not None and guard.refused is not None:
                swallowed = True  # the app answered our refusal its own way; ours goes out instead
            if swallowed:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, send_guarded)
        except ClientDisconnect:
            if started:
                raise
            await _aborted(scope, send, info)
            return
        except InputRefused as refused:
            if started:
                raise
            await _refuse(refused, scope, receive, send, info)
            return
        except Exception:
            if guard is not None and guard.refused is not None and not started:
                await _refuse(guard.refused, scope, receive, send, info)
                return
            if guard is not None and guard.disconnected and not started:
                await _aborted(scope, send, info)  # the app tripped over the missing rest of the body
                return
            raise
        if guard is not None and guard.refused is not None and not started:
            await _refuse(guard.refused, scope, receive, send, info)

    def _route(self, scope: Scope) -> _RouteInfo:
        partial: tuple[Any, dict[str, Any]] | None = None
        route_path = get_route_path(scope)
        for route in _leaves_of(self.routes_of):
            match, params = _match(route, scope, route_path)
            if match == Match.FULL:
                return self._info(route, params)
            if match == Match.PARTIAL and partial is None:
                partial = (route, params)
        return self._info(*partial) if partial else _RouteInfo(None, {}, True, None)

    def _info(self, route: Any, params: dict[str, Any]) -> _RouteInfo:
        endpoint = getattr(route, "endpoint", None)
        template = getattr(route, "path_format", None) or getattr(route, "path", None)
        limit = getattr(endpoint, BODY_LIMIT_ATTRIBUTE, None) or self.limits.routes.get(template or "")
        return _RouteInfo(route, params, getattr(route, "body_field", None) is not None, limit)


def allowed_methods(router: Any, scope: Scope) -> list[str]:
    """The methods of the path's own template (for the Allow header of a 405).

    Starlette lists the methods of the first route whose pattern matched, so
    "/jobs/rerun-failed" (POST) would advertise the GET of "/jobs/{job_id}"; the template
    with the fewest parameters is the one the path names, as in the OpenAPI document.
    """
    route_path = get_route_path(scope)
    matching = [route for route in _leaves_of(router)
                if getattr(route, "path_regex", None) is not None and route.path_regex.match(route_path)]
    if not matching:
        return []
    fewest = min(len(getattr(route, "param_convertors", {}) or {}) for route in matching)
    methods: set[str] = set()
    for route in matching:
        if len(getattr(route, "param_convertors", {}) or {}) == fewest:
            methods |= set(getattr(route, "methods", None) or ())
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


# Each router's leaf routes, kept while its routes stay as they are: expanding the included
# routers (FastAPI rebuilds each one's candidates) cost more than matching, twice a request.
# Kept on the router itself: a FastAPI router is not hashable (no weak-key mapping can hold
# it), and the leaves refer back to it, so a mapping beside it would keep every router alive.
_LEAVES_ATTRIBUTE = "_arkiv5_leaf_routes"


def _leaves_of(router: Any) -> list[Any]:
    """`_leaf_routes` of the router's routes, computed again only when its routes change."""
    routes = getattr(router, "routes", ())
    # FastAPI counts changes to a router and to the routers it includes; the length covers one without that count.
    changes = getattr(router, "_get_routes_version", None)
    key = (len(routes), changes() if callable(changes) else 0)
    cached = getattr(router, _LEAVES_ATTRIBUTE, None)
    if cached is not None and cached[0] == key:
        return cast(list[Any], cached[1])
    leaves = _leaf_routes(routes)
    try:
        setattr(router, _LEAVES_ATTRIBUTE, (key, leaves))
    except AttributeError:  # a router that takes no attributes: nothing to keep it on
        pass
    return leaves


def _leaf_routes(routes: Any) -> list[Any]:
    """The routes as FastAPI matches them: an included router is expanded into its routes."""
    leaves: list[Any] = []
    for route in routes:
        candidates = getattr(route, "effective_candidates", None)
        if callable(candidates):
            leaves.extend(_leaf_routes(candidates()))
        else:
            leaves.append(route)
    return leaves


def _match(route: Any, scope: Scope, route_path: str) -> tuple[Match, dict[str, Any]]:
    regex = getattr(route, "path_regex", None)
    if regex is None:
        if isinstance(route, BaseRoute):
            match, child = route.matches(scope)
            return match, dict(child.get("path_params", {}))
        return Match.NONE, {}
    found = regex.match(route_path)
    if not found:
        return Match.NONE, {}
    params = dict(found.groupdict())
    methods = getattr(route, "methods", None)
    if methods and scope.get("method") not in methods and not (scope.get("method") == "HEAD" and "GET" in methods):
        return Match.PARTIAL, params
    return Match.FULL, params


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def _body_kind(media_type: str, parses_body: bool) -> str:
    if media_type == "application/json" or media_type.endswith("+json") or (not media_type and parses_body):
        return "json"
    if media_type == "application/x-www-form-urlencoded":
        return "form"
    return "stream"


def _too_large(limit: int) -> BodyTooLarge:
    return BodyTooLarge(f"The request body is larger than the limit of {limit} bytes for this route.",
                        limit_bytes=limit)


def _check_path(scope: Scope, info: _RouteInfo) -> None:
    for name, value in info.path_params.items():
        if isinstance(value, str) and first_forbidden_character(value, allow_line_breaks=False) is not None:
            raise ControlCharacter(f"path.{name}")
    if first_forbidden_character(scope.get("path", ""), allow_line_breaks=False) is not None:
        raise ControlCharacter("path")


def _check_query(scope: Scope) -> None:
    raw = scope.get("query_string", b"").decode("latin-1")
    if not raw:
        return
    for name, value in parse_qsl(raw, keep_blank_values=True, encoding="utf-8", errors="surrogateescape"):
        if first_forbidden_character(name, allow_line_breaks=False) is not None:
            raise ControlCharacter("query")
        if first_forbidden_character(value) is not None:
            raise ControlCharacter(f"query.{name}")


async def _read_capped(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _drain(receive: Receive) -> None:
    size = 0
    while size <= DRAIN_MAX_BYTES:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return
        size += len(message.get("body", b""))


def _check_json(body: bytes, max_depth: int) -> None:
    depth = deepest = 0
    for bracket in _BRACKETS.findall(_STRING.sub(b"", body)):
        depth += 1 if bracket in (b"[", b"{") else -1
        if depth > deepest:
            deepest = depth
            if deepest > max_depth:
                raise JsonTooDeep(f"The JSON body is nested more than {max_depth} levels deep.", max_depth=max_depth)
    if not any(escape.group(1) not in _ALLOWED_ESCAPES and _suspicious(escape.group(1))
               for escape in _ESCAPE.finditer(body)):
        return
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return  # malformed: the app's own parser answers 422 with the position
    field = _find_forbidden(document, ["body"])
    if field is not None:
        raise ControlCharacter(field)


def _suspicious(escape: bytes) -> bool:
    if escape in (b"b", b"f"):
        return True
    if not escape.startswith(b"u") or len(escape) != 5:
        return False  # `\u` without four hex digits is malformed JSON: the app's parser answers it
    code = int(escape[1:], 16)
    return code < 0x20 or code == 0x7F or 0xD800 <= code <= 0xDFFF


def _find_forbidden(value: Any, path: list[str]) -> str | None:
    if isinstance(value, str):
        return ".".join(path) if first_forbidden_character(value) is not None else None
    if isinstance(value, dict):
        for key, item in value.items():
            if first_forbidden_character(key, allow_line_breaks=False) is not None:
                return ".".join(path)
            found = _find_forbidden(item, [*path, key])
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _find_forbidden(item, [*path, str(index)])
            if found:
                return found
    return None


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


class _StreamGuard:
    """The body as it comes, counted against the limit; multipart part headers are checked on the way."""

    def __init__(self, receive: Receive, limit: int, content_type: str) -> None:
        self.receive = receive
        self.limit = limit
        self.size = 0
        self.done = False
        self.disconnected = False
        self.refused: InputRefused | None = None
        self.multipart = _FilenameScanner.for_content_type(content_type)

    async def __call__(self) -> Message:
        if self.refused is not None:
            raise self.refused
        message = await self.receive()
        if message["type"] == "http.disconnect":
            self.disconnected = not self.done
            return message
        chunk = message.get("body", b"")
        self.size += len(chunk)
        self.done = not message.get("more_body", False)
        if self.size > self.limit:
            self.refused = _too_large(self.limit)
            raise self.refused
        if self.multipart is not None and chunk:
            field = self.multipart.feed(chunk)
            if field is not None:
                self.refused = ControlCharacter(field)
                raise self.refused
        return message


class _FilenameScanner:
    """Reads only the part headers of a multipart body, to refuse a control character in a file name."""

    def __init__(self, boundary: bytes) -> None:
        self.header_field = b""
        self.header_value = b""
        self.bad: str | None = None
        self.broken = False
        self.parser = MultipartParser(boundary, callbacks={
            "on_header_field": self._field, "on_header_value": self._value, "on_header_end": self._end,
        })

    @classmethod
    def for_content_type(cls, content_type: str) -> _FilenameScanner | None:
        media_type, options = parse_options_header(content_type)
        boundary = options.get(b"boundary")
        if media_type != b"multipart/form-data" or not boundary:
            return None
        return cls(boundary)

    def feed(self, chunk: bytes) -> str | None:
        if self.broken:
            return None
        try:
            self.parser.write(chunk)
        except Exception:
            self.broken = True  # malformed multipart: the app's own parser answers it
        return self.bad

    def _field(self, data: bytes, start: int, end: int) -> None:
        self.header_field += data[start:end]

    def _value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def _end(self) -> None:
        if self.header_field.lower() == b"content-disposition" and self.bad is None:
            _, options = parse_options_header(self.header_value)
            name = options.get(b"name", b"file").decode("utf-8", "replace")
            for key in (b"filename", b"filename*"):
                raw = options.get(key)
                if raw is None:
                    continue
                text = raw.decode("utf-8", "surrogateescape")
                if key == b"filename*" and "''" in text:
                    text = unquote(text.split("''", 1)[1], errors="surrogateescape")
                if first_forbidden_character(text, allow_line_breaks=False) is not None:
                    self.bad = f"body.{name}.filename"
            if first_forbidden_character(self.header_value.decode("latin-1"), allow_line_breaks=False) is not None:
                self.bad = self.bad or f"body.{name}.filename"
        self.header_field = b""
        self.header_value = b""


async def _refuse(refused: InputRefused, scope: Scope, receive: Receive, send: Send, info: _RouteInfo) -> None:
    if info.route is not None:
        scope["route"] = info.route  # metrics label the refusal by the route it was meant for
    problem = Problem(type=problem_type(refused.slug), title=refused.title, status=refused.status,
                      detail=refused.detail, instance=scope.get("path", ""), **refused.extensions)
    headers = {"Allow": refused.allow} if isinstance(refused, MethodNotAllowed) else None
    await problem_response(problem, headers)(scope, receive, send)


async def _aborted(scope: Scope, send: Send, info: _RouteInfo) -> None:
    """The client went away before its body arrived: say so quietly, and count it as 499."""
    if info.route is not None:
        scope["route"] = info.route
    log.info("client closed the request before its body arrived", extra={"method": scope.get("method")})

    async def nothing() -> Message:
        return {"type": "http.disconnect"}

    problem = Problem(type=problem_type("client-closed-request"), title="Client closed request",
                      status=CLIENT_CLOSED_REQUEST, instance=scope.get("path", ""))
    try:
        await problem_response(problem)(scope, nothing, send)
    except OSError:
        pass  # nobody is listening; the status still reaches the metrics through their send wrapper
