"""Access grants only scopes the contracts' registry knows, so a typo can never open an API."""

from __future__ import annotations

from arkiv5_access.domain.tokens import PERSON_SCOPES
from arkiv5_access.seed import CLIENTS
from arkiv5_contracts.scopes import SCOPES


def test_every_scope_a_role_or_a_seeded_client_carries_is_registered() -> None:
    granted = {scope for scopes in PERSON_SCOPES.values() for scope in scopes}
    granted |= {scope for _role, scopes, _codes in CLIENTS.values() for scope in scopes}
    assert granted - set(SCOPES) == set()
    assert len(granted) > 10
