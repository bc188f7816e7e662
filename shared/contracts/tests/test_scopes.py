"""The scope registry: each scope is named for the service that checks it, once."""

from __future__ import annotations

from arkiv5_contracts import scopes
from arkiv5_contracts.scopes import SCOPES

SERVICES = {"journal", "access", "conversion", "svarut-gateway", "intake"}


def test_every_scope_constant_is_registered_and_belongs_to_a_service() -> None:
    constants = {value for name, value in vars(scopes).items() if name.isupper() and isinstance(value, str)}
    assert constants == set(SCOPES)
    assert {spec.audience for spec in SCOPES.values()} == SERVICES
    assert scopes.is_known("journal.read") and not scopes.is_known("journal.everything")
    assert SCOPES[scopes.SVARUT_GATEWAY_SEND].audience == "svarut-gateway"
