"""The journal's public API, version 1: one module per resource."""

from __future__ import annotations

from fastapi import APIRouter

from . import (
    arkivstruktur,
    dokumenter,
    forsendelser,
    journalposter,
    rapporter,
    registrering,
    saksmapper,
    tilgangsgrupper,
    uttrekk,
)

routers: list[APIRouter] = [arkivstruktur.router, saksmapper.router, registrering.router, journalposter.router,
                            forsendelser.router, dokumenter.router, rapporter.router, tilgangsgrupper.router,
                            uttrekk.router]
