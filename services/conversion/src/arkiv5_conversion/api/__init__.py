"""HTTP routers of the conversion service."""

from __future__ import annotations

from fastapi import APIRouter

from .conversions import router as conversions_router

routers: list[APIRouter] = [conversions_router]
