"""HTTP entry points of the journal: the public API (v1, one module per resource) and the internal API."""

from __future__ import annotations

from fastapi import APIRouter

from .. import noark5
from . import v1
from .internal import internal

routers: list[APIRouter] = [*v1.routers, internal, *noark5.routers]
