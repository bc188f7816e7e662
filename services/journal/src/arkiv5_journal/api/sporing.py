"""Sends each request's screened reads to the sporingslogg once the request has ended (see authz.sporing)."""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Receive, Scope, Send

from arkiv5_kit.service import ServiceRuntime

from ..authz import sporing

log = logging.getLogger(__name__)


class SporingMiddleware:
    """Collects the screened reads of a request; after the answer has gone out, writes them
    through the outbox in a transaction of their own (also when the read was refused)."""

    def __init__(self, app: ASGIApp, runtime: ServiceRuntime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with sporing.collecting() as reads:
            try:
                await self.app(scope, receive, send)
            finally:
                if reads:
                    try:
                        await sporing.send(self.runtime.database, self.runtime.outbox, reads)
                    except Exception:
                        # Ids only in the log line; the request itself was already answered.
                        log.exception("screened reads not recorded", extra={"reads": len(reads)})
                        raise
