"""A hearing's broadcast (on or cut, its delay) as two processes of one installation see it:
the one that changes it tells the other over a real PostgreSQL's LISTEN/NOTIFY, and no
process keeps refusing viewers, or letting them in, on a state the court has changed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, cast

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from court.cluster_bus import PostgresBus
from court.live.broadcasts import BroadcastDesk, BroadcastState
from court.live.viewers import ViewerRegistry
from storage.db import Database
from storage.models import Broadcast
from streaming.hub import Hub
from tests.court.test_cluster_bus import WAIT_S, cut_connections, heard_by
from tests.storage.test_leases import recording_in
from tests.support.server import fresh_postgres_database, migrated_index

ON, CUT = BroadcastState(on=True, delay_s=0.0), BroadcastState(on=False, delay_s=0.0)


@dataclass
class Process:
    """What one worker process holds of the broadcasts: its desk, on its own bus."""

    desk: BroadcastDesk
    bus: PostgresBus

    async def state(self, db: Database, hearing_id: str) -> BroadcastState:
        async with db.session() as session:
            return await self.desk.state(session, hearing_id)

    async def change(self, db: Database, hearing_id: str, state: BroadcastState) -> None:
        async with db.session() as session:
            await self.desk.change(
                session, hearing_id, on=state.on, delay_s=state.delay_s, by="书记员"
            )


async def sees(process: Process, db: Database, hearing_id: str, expected: BroadcastState) -> None:
    """Ask as a viewer's request would, until the process answers `expected`."""
    deadline = asyncio.get_running_loop().time() + WAIT_S
    while await process.state(db, hearing_id) != expected:
        assert asyncio.get_running_loop().time() < deadline, f"still not {expected}"
        await asyncio.sleep(0.05)


@pytest.fixture
def index_url(postgres_address: str) -> str:
    return fresh_postgres_database(postgres_address)


@pytest.fixture
async def db(index_url: str) -> AsyncIterator[Database]:
    async with migrated_index(index_url) as database:
        yield database


@pytest.fixture
async def processes(index_url: str) -> AsyncIterator[tuple[Process, Process]]:
    pair = []
    for node in ("node.w0", "node.w1"):
        bus = PostgresBus(index_url, node)
        pair.append(Process(BroadcastDesk(ViewerRegistry(), bus), bus))
    try:
        for process in pair:
            await process.bus.start()
        yield pair[0], pair[1]
    finally:
        for process in pair:
            await process.desk.close()
            await process.bus.close()


async def test_a_cut_and_its_end_reach_the_process_that_did_not_make_them(
    db: Database, processes: tuple[Process, Process]
) -> None:
    holder, other = processes
    hearing_id = (await recording_in(db, "1")).hearing_id
    assert await other.state(db, hearing_id) == ON  # read once, and kept

    await holder.change(db, hearing_id, CUT)
    await sees(other, db, hearing_id, CUT)
    await holder.change(db, hearing_id, ON)  # the public may watch again, on every worker
    await sees(other, db, hearing_id, ON)
    await holder.change(db, hearing_id, BroadcastState(on=True, delay_s=30.0))
    await sees(other, db, hearing_id, BroadcastState(on=True, delay_s=30.0))


async def test_a_change_told_while_the_bus_was_down_is_read_again_once_it_is_back(
    index_url: str, db: Database, processes: tuple[Process, Process]
) -> None:
    _, other = processes
    hearing_id = (await recording_in(db, "2")).hearing_id
    assert await other.state(db, hearing_id) == ON
    async with db.session() as session, session.begin():  # a change whose word was lost
        session.add(Broadcast(hearing_id=hearing_id, on=False, delay_s=0.0))
    assert await other.state(db, hearing_id) == ON, "kept until told"

    await cut_connections(index_url)
    await sees(other, db, hearing_id, CUT)


class HeldRead:
    """A session whose reads wait until released: a read still running when word comes."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self.reading = asyncio.Event()
        self.release = asyncio.Event()

    async def get(self, *args: Any, **kwargs: Any) -> Any:
        row = await self._session.get(*args, **kwargs)
        self.reading.set()
        await self.release.wait()
        return row


async def test_a_read_that_began_before_a_change_was_told_is_not_kept(
    db: Database, processes: tuple[Process, Process]
) -> None:
    holder, other = processes
    hearing_id = (await recording_in(db, "3")).hearing_id
    told = heard_by(other.bus, "broadcast.changed")
    async with db.session() as session:
        held = HeldRead(session)
        read = asyncio.create_task(other.desk.state(cast(AsyncSession, held), hearing_id))
        await held.reading.wait()  # it read "on" and has not kept it yet
        await holder.change(db, hearing_id, CUT)
        deadline = asyncio.get_running_loop().time() + WAIT_S
        while not told:
            assert asyncio.get_running_loop().time() < deadline, "the change was not told"
            await asyncio.sleep(0.05)
        held.release.set()
        assert await read == ON  # what that request saw, as it began before the change
    assert await other.state(db, hearing_id) == CUT


async def test_a_delay_line_run_for_public_viewers_elsewhere_restarts_on_a_change(
    db: Database, processes: tuple[Process, Process]
) -> None:
    """A process serving the public from a mirror of the camera (court/live/mirrors.py) runs
    its own delay line: a change made at the holder discards it there too, so a new delay
    is never skipped by the viewers of that process (they rejoin under the new state)."""
    holder, other = processes
    hearing_id = (await recording_in(db, "4")).hearing_id
    delayed = BroadcastState(on=True, delay_s=30.0)
    await holder.change(db, hearing_id, delayed)
    await sees(other, db, hearing_id, delayed)
    mirror = Hub()
    line = other.desk.public_hub(hearing_id, mirror, "bench", delayed)
    assert line is not mirror and other.desk.delayed_hearings() == {hearing_id}

    await holder.change(db, hearing_id, BroadcastState(on=True, delay_s=60.0))
    deadline = asyncio.get_running_loop().time() + WAIT_S
    while other.desk.delayed_hearings():
        assert asyncio.get_running_loop().time() < deadline, "the old delay line still runs"
        await asyncio.sleep(0.05)
    assert mirror.subscribers == 0  # what it held is gone with it
