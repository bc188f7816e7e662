"""HTTP routers of the journal service."""

from __future__ import annotations

from fastapi import APIRouter

from .routes import internal, router

routers: list[APIRouter] = [router, internal]
