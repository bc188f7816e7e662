"""The root and the package roots: where a client that knows only the root finds everything.

Without a token the root advertises how to log in (noark5/login.py: OpenID Connect, OAuth 2 at
the access service, HTTP Basic); with a valid token it lists the packages.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from arkiv5_contracts.codelists import CODE_LISTS
from arkiv5_kit.auth import require_scopes

from ..api.deps import ADMIN, READ, Reader, ctx_of
from .http import Noark5Route, hal, link, rel
from .login import CONFIGURATION_PATH, OLD_CONFIGURATION_PATH, login_links, openid_configuration
from .render import LIST_QUERY, PAGE_QUERY, SEARCH_QUERY

router = APIRouter(route_class=Noark5Route, include_in_schema=False)


@router.get("/noark5/api/")
async def root(request: Request) -> JSONResponse:
    if "authorization" not in request.headers:
        return hal(request, {"_links": {"self": link(request, ""), **login_links(request)}})
    await require_scopes(READ)(request)  # a token that is sent must be valid (else 401)
    return hal(request, {"_links": {
        "self": link(request, ""),
        rel("admin"): link(request, "admin/"),
        rel("admin/system"): link(request, "admin/system/"),
        rel("arkivstruktur"): link(request, "arkivstruktur/"),
        rel("metadata"): link(request, "metadata/"),
        rel("sakarkiv"): link(request, "sakarkiv/"),
    }})


@router.get(f"/noark5/api/{CONFIGURATION_PATH}")
@router.get(f"/noark5/api/{OLD_CONFIGURATION_PATH}")
async def configuration(request: Request) -> JSONResponse:
    """The authorization server's metadata, for a client to find the token endpoint (plain JSON)."""
    return JSONResponse(openid_configuration(request))


@router.get("/noark5/api/admin/system/")
async def system(request: Request, _caller: Reader) -> JSONResponse:
    """What serves the interface (for logged-in callers only, as the standard advises)."""
    return hal(request, {
        "leverandoer": "Arkiv5", "produkt": "Arkiv5 journal", "versjon": version("arkiv5-journal"),
        "protokollversjon": "1.1",
        # The largest file one POST takes (the standard's "small uploads" limit); larger ones go in chunks.
        "bulkgrense": ctx_of(request).settings.noark5_bulkgrense,
        "_links": {"self": link(request, "admin/system/"), rel("admin/system"): link(request, "admin/system/")},
    })


@router.get("/noark5/api/arkivstruktur/")
async def arkivstruktur(request: Request, caller: Reader) -> JSONResponse:
    links = {
        "self": link(request, "arkivstruktur/"),
        **{rel(f"arkivstruktur/{kind}"): link(request, f"arkivstruktur/{kind}/" + PAGE_QUERY, templated=True)
           for kind in ("arkivskaper", "arkiv", "arkivdel", "klassifikasjonssystem", "klasse")},
        # Every mappe here is a saksmappe, and every registrering a journalpost.
        rel("arkivstruktur/mappe"): link(request, "sakarkiv/saksmappe/" + LIST_QUERY, templated=True),
        rel("arkivstruktur/registrering"): link(request, "sakarkiv/journalpost/" + SEARCH_QUERY, templated=True),
    }
    if caller.claims.has_scopes(ADMIN):  # the archive's administrators create the structure
        links[rel("arkivstruktur/ny-arkiv")] = link(request, "arkivstruktur/ny-arkiv/")
    return hal(request, {"_links": links})


@router.get("/noark5/api/sakarkiv/")
async def sakarkiv(request: Request, _caller: Reader) -> JSONResponse:
    return hal(request, {"_links": {
        "self": link(request, "sakarkiv/"),
        rel("sakarkiv/journalpost"): link(request, "sakarkiv/journalpost/" + SEARCH_QUERY, templated=True),
        rel("sakarkiv/ny-saksmappe"): link(request, "sakarkiv/ny-saksmappe/"),
        rel("sakarkiv/saksmappe"): link(request, "sakarkiv/saksmappe/" + LIST_QUERY, templated=True),
    }})


@router.get("/noark5/api/metadata/")
async def metadata(request: Request, _caller: Reader) -> JSONResponse:
    links: dict[str, Any] = {"self": link(request, "metadata/")}
    for name, code_list in sorted(CODE_LISTS.items()):
        links[code_list.relation] = link(request, f"metadata/{name}/")
    return hal(request, {"_links": links})

