"""Never twice, never lost: dispatches through the whole gateway against a faulty simulator."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from svarut_helpers import address, gateway_settings, make_fnr, make_orgnr, material_for, publish, read_events

from arkiv5_contracts.events.dispatch import DispatchAccepted, DispatchRejected, DispatchStatusChanged
from arkiv5_contracts.events.journal import DispatchRequested
from arkiv5_contracts.topics import DISPATCH_STATUS
from arkiv5_kit.transport.embedded import EmbeddedTransport
from arkiv5_svarut_gateway.app import create_app
from arkiv5_svarut_gateway.domain.material import Recipient
from arkiv5_svarut_gateway.models import DispatchState, Forsendelse
from arkiv5_svarut_gateway.simulator import Faults, SimulatorConfig, create_simulator_app
from arkiv5_svarut_gateway.testing import FakeConversion, FakeJournal
from conftest import serve


def requests_for(journal: FakeJournal, n: int, seed: int = 1) -> list[DispatchRequested]:
    """n dispatches, one recipient each, spread over the three channels."""
    rng = random.Random(seed)
    events = []
    for i in range(n):
        kind = i % 3
        values = ({"fodselsnummer": make_fnr(rng)}, {"organisasjonsnummer": make_orgnr(rng)},
                  {"postadresse": address()})[kind]
        recipient = Recipient(korrespondansepart_id=uuid.uuid4(), navn="Mottaker", **values)  # type: ignore[arg-type]
        material, content = material_for([recipient], documents=1 + i % 2)
        journal.add(material, content)
        events.append(DispatchRequested(
            dispatch_id=uuid.uuid4(), journalpost_id=material.journalpost_id,
            recipient_ids=[recipient.korrespondansepart_id],
            dokumentobjekt_ids=[d.dokumentobjekt_id for d in material.documents],
        ))
    return events


async def states(app) -> Counter[str]:  # type: ignore[no-untyped-def]
    async with app.state.runtime.database.unit_of_work() as session:
        rows = await session.execute(select(Forsendelse.state, func.count()).group_by(Forsendelse.state))
        return Counter({state: count for state, count in rows})


async def wait_until(predicate, timeout_s: float) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.1)


async def run_dispatches(tmp_path: Path, n: int, *, restart: bool, faults: Faults | None = None,
                         check: bool = True, registration_delay_s: float = 0.8,
                         **overrides: object):  # type: ignore[no-untyped-def]
    sim_app = create_simulator_app(SimulatorConfig(status_step_s=0.05, registration_delay_s=registration_delay_s))
    sim = sim_app.state.simulator
    server, task, url = await serve(sim_app)
    bus = EmbeddedTransport(f"sqlite+aiosqlite:///{tmp_path}/bus.sqlite")
    journal = FakeJournal()
    events = requests_for(journal, n)
    settings = gateway_settings(tmp_path, url, **overrides)
    apps = []
    try:
        app = create_app(settings, bus=bus, journal=journal, conversion=FakeConversion(journal))
        apps.append(app)
        await app.state.runtime.start()
        # 20 % of all calls (send, status, look-up, token) fail, spread over every kind.
        sim.set_faults(faults or Faults(rate=0.2, slow_s=0.1, hold_s=0.8, seed=42))
        await publish(bus, *events[: n // 2])
        await publish(bus, *events[: n // 10])  # the journal's relay redelivers some
        await publish(bus, *events[n // 2:])

        if restart:
            async def some_accepted() -> bool:
                done = await states(app)
                return done[DispatchState.ACCEPTED] + done[DispatchState.COMPLETED] >= n // 4

            await wait_until(some_accepted, 60)
            assert len(sim.deliveries) < n  # really mid-run
            # A stop that cuts sends in flight (shutdown timeout 0.3 s < send timeout),
            # then a new gateway on the same database and bus.
            await app.state.runtime.stop()
            app = create_app(settings, bus=bus, journal=journal, conversion=FakeConversion(journal))
            apps.append(app)
            await app.state.runtime.start()

        async def all_done() -> bool:
            return (await states(app))[DispatchState.COMPLETED] == n

        await wait_until(all_done, 120)
        await asyncio.sleep(0.5)  # let the relay publish the last events
        if not check:
            return sim

        # Exactly once at SvarUt: every eksternReferanse delivered once, nothing else delivered.
        refs = {f"{e.dispatch_id}:{e.recipient_ids[0]}" for e in events}
        assert set(sim.deliveries) == refs
        assert Counter(sim.deliveries.values()) == Counter({1: n})
        assert sim.rejected == []  # every request we sent was valid against KS's schema
        assert all(sim.injected[kind] > 0 for kind in ("5xx", "timeout_after_accept", "slow", "reset"))

        # Every status reported back: one acceptance per dispatch, and its terminal status.
        reported = await read_events(bus, DISPATCH_STATUS)
        accepted = {e.data.dispatch_id: e.data.svarut_id for e in reported if isinstance(e.data, DispatchAccepted)}
        terminal = {e.data.dispatch_id: e.data.status for e in reported
                    if isinstance(e.data, DispatchStatusChanged) and e.data.is_terminal}
        assert set(accepted) == set(terminal) == {e.dispatch_id for e in events}
        assert set(accepted.values()) == set(sim.forsendelser)
        assert set(terminal.values()) <= {"LEVERT_SDP", "LEST", "PRINTET"}
        assert not [e for e in reported if isinstance(e.data, DispatchRejected)]
    finally:
        for a in apps:
            await a.state.runtime.stop()
        server.should_exit = True
        await asyncio.wait_for(task, timeout=10)


@pytest.mark.timeout(300)
async def test_200_dispatches_under_20_percent_faults_are_delivered_exactly_once(tmp_path: Path) -> None:
    await run_dispatches(tmp_path, 200, restart=False)


@pytest.mark.timeout(300)
async def test_200_dispatches_survive_a_gateway_restart_mid_run(tmp_path: Path, db_backend: Any) -> None:
    """On SQLite and on PostgreSQL (the root `db_backend` fixture): the same run, the same proof."""
    await run_dispatches(tmp_path, 200, restart=True, database_url=db_backend.url)


@pytest.mark.timeout(300)
async def test_without_looking_up_through_the_window_letters_go_out_twice(tmp_path: Path) -> None:
    """The control: give up after one quick look-up, and timeouts after accepting become duplicates.

    SvarUt takes a minute to show what it received under a fault, far beyond the 0.01 s window,
    so however slow the machine, the look-up finds nothing and the letter is sent again.
    """
    faults = Faults(rate=0.2, kinds=("timeout_after_accept",), hold_s=0.8, endpoints=("send",), seed=7)
    sim = await run_dispatches(tmp_path, 60, restart=False, faults=faults, check=False, lookup_window_s=0.01,
                               registration_delay_s=60.0)
    assert sim.injected["timeout_after_accept"] > 0
    assert max(sim.deliveries.values()) >= 2
