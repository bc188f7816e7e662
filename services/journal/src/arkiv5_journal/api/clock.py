"""Runs each request on the journal's one clock (the context's), so every decision of the
request is taken for the same day — the real one, or the day a test has set."""

from __future__ import annotations

from starlette.datastructures import State
from starlette.types import ASGIApp, Receive, Scope, Send

from ..authz import access


class ClockMiddleware:
    """Read per request from `app.state.journal_context`, so a test may swap in a settable clock."""

    def __init__(self, app: ASGIApp, state: State) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with access.using_clock(self.state.journal_context.clock):
            await self.app(scope, receive, send)
