"""HTTP routers of the access service."""

from __future__ import annotations

from fastapi import APIRouter

from . import decisions, rights, tokens

routers: list[APIRouter] = [tokens.router, rights.router, decisions.router]
