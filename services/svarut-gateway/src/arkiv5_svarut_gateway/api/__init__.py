"""HTTP routers of the svarut-gateway service."""

from __future__ import annotations

from fastapi import APIRouter

from .dispatches import router as dispatches_router

routers: list[APIRouter] = [dispatches_router]
