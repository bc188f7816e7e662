"""Who may see whom in the directory: persons, their job titles and their rights history.

The arkivleder and the systemansvarlig see everyone. A leader sees the persons whose own
unit (today or from a later date) is in her unit tree: her own unit and the units she
leads with every unit below them. Everyone else sees only themselves. System clients with
the read scope (our services) see everyone: they act for the policy, not for a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from arkiv5_contracts.policy import Role
from arkiv5_kit.clock import SYSTEM_CLOCK as clock
from arkiv5_kit.errors import NotFound

from . import rights

if TYPE_CHECKING:
    from .service import Actor

_SEE_ALL = (Role.ARKIVLEDER, Role.SYSTEMANSVARLIG, Role.INTERN_TJENESTE)


@dataclass(frozen=True)
class Scope:
    """The persons an actor may see: everyone, or exactly these."""

    everyone: bool
    person_ids: frozenset[UUID] = frozenset()

    def allows(self, person_id: UUID) -> bool:
        return self.everyone or person_id in self.person_ids


EVERYONE = Scope(everyone=True)


def unit_tree(actor: Actor) -> set[UUID]:
    p = actor.principal
    tree = set(p.led_unit_ids) if actor.has(Role.LEDER) else set()
    if actor.has(Role.LEDER) and p.unit_id is not None:
        tree.add(p.unit_id)
    return tree


async def scope_of(session: AsyncSession, actor: Actor) -> Scope:
    if actor.has(*_SEE_ALL):
        return EVERYONE
    visible = {actor.subject_id}
    tree = unit_tree(actor)
    if tree:
        today = clock.today()
        for held in await rights.held_rights(session, kind=rights.UNIT):
            if held.ever_held and (held.valid_to is None or held.valid_to >= today) and UUID(held.value) in tree:
                visible.add(held.entry.person_id)
    return Scope(everyone=False, person_ids=frozenset(visible))


async def require_visible(session: AsyncSession, actor: Actor, person_id: UUID) -> None:
    """Outside the actor's scope a person is not found: the directory does not confirm who exists."""
    if not (await scope_of(session, actor)).allows(person_id):
        raise NotFound("No such person or client account.")
