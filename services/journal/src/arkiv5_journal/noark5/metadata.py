"""The metadata package: each Noark 5 code list the journal knows, with its codes and names."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from arkiv5_contracts.codelists import CODE_LISTS

from ..api.deps import Reader
from ..errors import NotFound
from . import render
from .http import Noark5Route, hal, link

router = APIRouter(route_class=Noark5Route, include_in_schema=False)


@router.get("/noark5/api/metadata/{list_name}/")
async def code_list(list_name: str, request: Request, _caller: Reader) -> JSONResponse:
    if list_name not in CODE_LISTS:
        raise NotFound("The metadata package has no code list by this name.")
    codes = CODE_LISTS[list_name]
    own = f"metadata/{list_name}/"
    results = [{"kode": member.kode, "kodenavn": member.kodenavn,
                **({"merknad": member.merknad} if member.merknad else {}),
                "_links": {"self": link(request, own), codes.relation: link(request, own)}}
               for member in codes]
    return hal(request, render.page(request, own, results))
