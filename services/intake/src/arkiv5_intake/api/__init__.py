"""The intake service's routers."""

from .fiks_arkiv import router as fiks_arkiv_router

routers = [fiks_arkiv_router]
