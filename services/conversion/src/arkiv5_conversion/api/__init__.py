"""HTTP routers of the conversion service."""

from __future__ import annotations

from fastapi import APIRouter

routers: list[APIRouter] = []
