"""The API documentation pages (Swagger UI, ReDoc) served from the package, never from a CDN.

A municipality's servers often have no route to the internet; FastAPI's default pages load
their scripts from a CDN and stay blank there. fastapi-offline ships the same scripts and
serves them under the service's own prefix (it honours the ASGI root_path, so /journal/docs
works behind the suite's mount or an ingress path).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi_offline import FastAPIOffline

STATIC_URL = "/docs-static"


def operation_id(route: APIRoute) -> str:
    """The handler's name (`create_saksmappe`), so a generated client's calls read as the API's
    verbs instead of FastAPI's default `create_saksmappe_saksmapper_post`. Handler names are
    unique per service; `test_operation_ids_are_unique` in each service keeps them so."""
    return route.name


def documented_app(**kwargs: Any) -> FastAPI:
    """A FastAPI app whose /docs and /redoc pages load only from this service."""
    return FastAPIOffline(docs_url="/docs", redoc_url="/redoc", static_url=STATIC_URL,
                          generate_unique_id_function=operation_id, **kwargs)
