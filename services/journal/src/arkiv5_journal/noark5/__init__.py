"""The Noark 5 service interface (tjenestegrensesnitt v1.1) under /noark5/api/, over the journal's
own use cases and its one way out (`visibility`); kept out of our own OpenAPI document."""

from __future__ import annotations

from fastapi import APIRouter

from . import (
    admin,
    arkivstruktur,
    arkivstruktur_ny,
    avskrivninger,
    discovery,
    dokumenter,
    endringslogg,
    filer,
    journalposter,
    konverteringer,
    korrespondanseparter,
    merknader,
    metadata,
    parter,
    rettigheter,
    saksmapper,
    skjerming,
)

routers: list[APIRouter] = [discovery.router, saksmapper.router, journalposter.router, dokumenter.router, filer.router,
                            metadata.router, korrespondanseparter.router, konverteringer.router,
                            admin.router, endringslogg.router, arkivstruktur.router, arkivstruktur_ny.router,
                            merknader.router, avskrivninger.router]
# Sakspart, skjerming and sekundærklassifikasjon, and the admin package's rights views.
routers += [parter.router, skjerming.router, rettigheter.router]
