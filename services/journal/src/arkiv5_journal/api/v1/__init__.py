"""The journal's public API, version 1: one module per resource."""

from __future__ import annotations

from fastapi import APIRouter

from . import arkivstruktur, dokumenter, journalposter, rapporter, registrering, saksmapper, tilgangsgrupper

routers: list[APIRouter] = [arkivstruktur.router, saksmapper.router, registrering.router, journalposter.router,
                            dokumenter.router, rapporter.router, tilgangsgrupper.router]
