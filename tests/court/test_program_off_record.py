"""The program follows the room's off-record periods as its running recording's markers say
(court/program.py): the latest such marker of that recording, by its time, decides; a marker
written on an earlier recording of the room, or dated before a later one, shows nothing the
court put off the record."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from court.principals import Principal
from court.program import ProgramDesk
from storage.db import Database
from storage.models import Camera, Courtroom, Marker, Recording
from streaming.hub import HubRegistry
from tests.storage.test_leases import recording_in

JUDGE = Principal("审判长", "judge")
T0 = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
async def desk() -> AsyncIterator[ProgramDesk]:
    program = ProgramDesk(HubRegistry())
    yield program
    program.close()


async def mark(db: Database, recording: Recording, kind: str, minutes: int) -> None:
    async with db.session() as session, session.begin():
        session.add(
            Marker(
                recording_id=recording.id,
                at=T0 + timedelta(minutes=minutes),
                kind=kind,
                text="调解" if kind == "off_record_start" else "",
                author="书记员",
            )
        )


async def followed(db: Database, desk: ProgramDesk, courtroom_id: str) -> str | None:
    """What the public sees once the desk followed the record: the camera, or the slate."""
    async with db.session() as session:
        await desk.follow_record(session, courtroom_id)
    state = desk.state(courtroom_id)
    assert state is not None
    return state.on_air or state.slate


async def test_only_the_running_recording_s_latest_off_record_marker_moves_the_program(
    db: Database, desk: ProgramDesk
) -> None:
    running = await recording_in(db, "7")
    room = running.courtroom_id
    async with db.session() as session, session.begin():
        earlier = Recording(
            hearing_id=running.hearing_id, courtroom_id=room, court_id=running.court_id,
            status="stopped",
        )  # fmt: skip
        session.add_all([earlier, Camera(courtroom_id=room, name="bench")])
    async with db.session() as session:
        courtroom = await session.scalar(
            select(Courtroom).where(Courtroom.id == room).options(selectinload(Courtroom.cameras))
        )
        assert courtroom is not None
        await desk.choose(session, JUDGE, courtroom, "bench")
    assert await followed(db, desk, room) == "bench"

    await mark(db, running, "off_record_start", 10)
    assert await followed(db, desk, room) == "off_record"
    await mark(db, earlier, "off_record_end", 20)  # a clerk annotating yesterday's recording
    assert await followed(db, desk, room) == "off_record"
    await mark(db, running, "off_record_end", 5)  # dated before the period began
    assert await followed(db, desk, room) == "off_record"
    await mark(db, running, "off_record_end", 30)
    assert await followed(db, desk, room) == "bench"
    await mark(db, earlier, "off_record_start", 40)
    assert await followed(db, desk, room) == "bench"


async def test_a_room_without_a_program_has_nothing_to_follow(
    db: Database, desk: ProgramDesk
) -> None:
    running = await recording_in(db, "8")
    await mark(db, running, "off_record_start", 10)
    async with db.session() as session:
        await desk.follow_record(session, running.courtroom_id)
    assert desk.state(running.courtroom_id) is None
