"""What anyone may know about today's hearings: the facts behind the public list (`/watch`).

Public and restricted hearings are listed (a restricted one still needs its access code to be
watched); sealed hearings never appear, and asking for one by id is refused exactly as an
unknown id is. A restricted hearing is shown only by its courtroom, time and state: its case
number, case title and hearing title are blank (they can name a minor or a family). Which
cameras are live, and the program, are those of a room held elsewhere as its holder last said
(court/live/shown_rooms.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from court.errors import NotFound
from court.in_session import hearing_in_session
from court.live.broadcasts import BroadcastState
from court.live.shown_rooms import ShownProgram, ShownRoom, shown_rooms
from court.live.viewer_access import NOT_FOUND
from court.runtime import Runtime
from storage.models import Camera, Case, Courtroom, Hearing

LISTED = ("public", "restricted")
DAY_LIMIT = 500


@dataclass(frozen=True, slots=True)
class PublicFacts:
    hearing: Hearing
    case_number: str  # blank unless the hearing is public
    case_title: str
    title: str
    courtroom: str
    cameras: list[Camera]
    broadcast: BroadcastState
    live_cameras: list[str]  # publishing now, and only through the room's hearing in session
    program: ShownProgram | None  # what the court shows the public, when it chooses


async def public_facts(
    session: AsyncSession, runtime: Runtime, hearing: Hearing, shown: ShownRoom
) -> PublicFacts:
    """What the public list says of one listed hearing whose room shows `shown`."""
    case = await session.get(Case, hearing.case_id)
    courtroom = await session.get(Courtroom, hearing.courtroom_id)
    assert case is not None and courtroom is not None  # foreign keys
    named = hearing.visibility == "public"
    in_session = await hearing_in_session(session, courtroom.id) == hearing.id
    return PublicFacts(
        hearing=hearing,
        case_number=case.number if named else "",
        case_title=case.title if named else "",
        title=hearing.title if named else "",
        courtroom=courtroom.name,
        cameras=list(courtroom.cameras),
        broadcast=await runtime.broadcasts.state(session, hearing.id),
        # another hearing's cameras stay dark
        live_cameras=shown.cameras if in_session else [],
        program=shown.program if in_session else None,
    )


async def hearings_of_the_day(
    session: AsyncSession, runtime: Runtime, start: datetime
) -> list[PublicFacts]:
    """The listed hearings scheduled in the day that begins at `start`, in time order."""
    rows = await session.scalars(
        select(Hearing)
        .where(
            Hearing.visibility.in_(LISTED),
            Hearing.scheduled_start >= start,
            Hearing.scheduled_start < start + timedelta(days=1),
        )
        .order_by(Hearing.scheduled_start, Hearing.id)
        .limit(DAY_LIMIT)
    )
    hearings = list(rows)
    shown = await shown_rooms(session, runtime, {hearing.courtroom_id for hearing in hearings})
    return [
        await public_facts(session, runtime, hearing, shown[hearing.courtroom_id])
        for hearing in hearings
    ]


async def listed_hearing(session: AsyncSession, runtime: Runtime, hearing_id: str) -> PublicFacts:
    """One listed hearing by id; NotFound for an unknown or sealed one alike."""
    hearing = await session.get(Hearing, hearing_id)
    if hearing is None or hearing.visibility not in LISTED:
        raise NotFound(NOT_FOUND)
    shown = await shown_rooms(session, runtime, {hearing.courtroom_id})
    return await public_facts(session, runtime, hearing, shown[hearing.courtroom_id])
