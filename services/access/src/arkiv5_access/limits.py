"""The request body limit: an oversized body is refused with 413 before anything reads it.

Every body this API takes is small (the largest, a group with a thousand members, is
about 40 KB); a body beyond the limit is refused whole, whether it announces its length
or streams it chunked, so a client cannot make the service buffer or parse megabytes.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from arkiv5_contracts.problem import Problem, problem_type
from arkiv5_kit.errors import problem_response


class BodyLimit:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None:
            try:
                too_large = int(length) > self.max_bytes
            except ValueError:
                too_large = False  # the server refuses a malformed length itself
            if too_large:
                await self._refuse(scope, receive, send)
                return
        # Read the whole body (it is small or refused) so a chunked one is counted too.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break  # the client went away; hand the app what came
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        problem = Problem(
            type=problem_type("payload-too-large"), title="Payload too large", status=413,
            detail=f"The request body is larger than the limit of {self.max_bytes} bytes.",
            instance=scope.get("path", ""),
        )
        await problem_response(problem, {"Connection": "close"})(scope, receive, send)
