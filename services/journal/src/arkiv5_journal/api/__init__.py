"""HTTP routers of the journal service."""

from __future__ import annotations

from fastapi import APIRouter

from . import internal as _internal_routes  # noqa: F401  (registers the internal routes)
from .routes import internal, router

routers: list[APIRouter] = [router, internal]
