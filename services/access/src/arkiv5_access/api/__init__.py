"""HTTP routers of the access service."""

from __future__ import annotations

from fastapi import APIRouter

from . import audit, decisions, federation, passwords, rights, tokens

routers: list[APIRouter] = [tokens.router, rights.router, passwords.router, federation.router, decisions.router,
                            audit.router]
