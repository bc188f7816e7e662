"""The input policy's view of an app's routes: expanded once, again only when the routes change."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from arkiv5_kit import inputs


def _app() -> FastAPI:
    app = FastAPI()
    included = APIRouter()

    @included.get("/items/{item_id}")
    async def item(item_id: int) -> dict[str, int]:
        return {"id": item_id}

    app.include_router(included)
    return app


def test_a_routers_leaf_routes_are_expanded_once_and_again_when_its_routes_change() -> None:
    app = _app()
    first = inputs._leaves_of(app.router)
    assert inputs._leaves_of(app.router) is first  # a FastAPI router is unhashable: kept on it all the same
    assert "/items/{item_id}" in {getattr(route, "path", None) for route in first}

    @app.get("/added")
    async def added() -> None:
        return None

    again = inputs._leaves_of(app.router)
    assert again is not first
    assert "/added" in {getattr(route, "path", None) for route in again}
