"""`/healthz/live` (the process answers) and `/healthz/ready` (it can serve: database, …).

Readiness never depends on Kafka: a broker outage must not take the API out of the load
balancer (the outbox keeps events until the broker is back).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from arkiv5_contracts.problem import PROBLEM_MEDIA_TYPE

ReadinessCheck = Callable[[], Awaitable[None]]


def health_router(checks: dict[str, ReadinessCheck], *, timeout_s: float = 3.0) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz/live", summary="Liveness: the process answers")
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/healthz/ready", summary="Readiness: the service can serve requests")
    async def ready() -> JSONResponse:
        results: dict[str, str] = {}
        for name, check in checks.items():
            try:
                await asyncio.wait_for(check(), timeout=timeout_s)
                results[name] = "ok"
            except Exception as exc:
                results[name] = f"failing: {type(exc).__name__}"
        if all(v == "ok" for v in results.values()):
            return JSONResponse({"status": "ok", "checks": results})
        return JSONResponse(
            {"type": "about:blank", "title": "Not ready", "status": 503, "checks": results},
            status_code=503, media_type=PROBLEM_MEDIA_TYPE,
        )

    return router
