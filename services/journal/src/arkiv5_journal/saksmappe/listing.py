"""Cases by saksdato: a page of cases as the caller may see them."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from arkiv5_kit.auth import Principal as Caller
from arkiv5_kit.errors import Forbidden, Unprocessable

from .. import visibility
from ..models import Saksmappe
from ..schemas import SaksmappeOut

MAX_SCANNED = 5000
"""Cases looked at per page, as for the full-text search: enough for any page a person reads."""


async def by_saksdato(session: AsyncSession, *, caller: Caller, fra: date | None, til: date | None,
                      top: int, skip: int) -> list[SaksmappeOut]:
    """Cases whose saksdato is within [fra, til] (both inclusive), oldest first, then by number.

    Each case passes the visibility module: a case the caller may not read at all is left out
    (as the search leaves out hits), a screened one is shown masked.
    """
    if fra is not None and til is not None and fra > til:
        raise Unprocessable("saksdatoFra is after saksdatoTil.", field="saksdatoFra")
    query = select(Saksmappe)
    if fra is not None:
        query = query.where(col(Saksmappe.saksdato) >= fra)
    if til is not None:
        query = query.where(col(Saksmappe.saksdato) <= til)
    query = query.order_by(col(Saksmappe.saksdato), col(Saksmappe.saksaar), col(Saksmappe.sakssekvensnummer))
    shown: list[SaksmappeOut] = []
    rows = (await session.execute(query.limit(MAX_SCANNED))).scalars()
    for saksmappe in rows:
        try:
            shown.append(await visibility.saksmappe(session, caller, saksmappe))
        except Forbidden:
            continue
        if len(shown) >= skip + top:
            break
    return shown[skip:skip + top]
