"""The read model of disabled accounts, asked once per request by the token check."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from uuid import UUID

from arkiv5_contracts.claims import TokenClaims
from arkiv5_kit.db import Database
from arkiv5_kit.sessions import read_session

from ..domain.numbering import today_in_oslo
from ..models import KontoSperre


def account_check(database: Database) -> Callable[[TokenClaims], Awaitable[bool]]:
    """True when the token's person (or client account) is disabled today, as AccountDisabled said."""

    async def disabled(claims: TokenClaims) -> bool:
        subject = claims.person_id
        if subject is None:
            try:
                subject = UUID(claims.sub)
            except ValueError:
                return False
        async with read_session(database) as session:
            sperre = await session.get(KontoSperre, subject)
        return sperre is not None and sperre.disabled_from <= today_in_oslo()

    return disabled
