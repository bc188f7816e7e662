"""HTTP routers of the access service."""

from __future__ import annotations

from fastapi import APIRouter

routers: list[APIRouter] = []
