"""The intake service's routers."""

from .epost import router as epost_router
from .fiks_arkiv import router as fiks_arkiv_router

routers = [fiks_arkiv_router, epost_router]
