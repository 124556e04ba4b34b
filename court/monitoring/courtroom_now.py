"""What a courtroom is doing now, as its console shows it: the recording running, the hearing
it records (else the day's first hearing not yet over, else the day's last), and the day's
hearings in court time.

A caller who may not see a hearing (court/visibility.py) is told of the room as if that hearing
and its recording were not there: no title, case, recording id or start time of a sealed
hearing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from court.in_session import FINAL_STATUSES
from court.principals import Principal
from court.visibility import may_see
from storage.models import Case, Hearing, Recording


@dataclass(frozen=True, slots=True)
class RoomHearing:
    hearing: Hearing
    case_number: str
    case_title: str


@dataclass(frozen=True, slots=True)
class CourtroomNow:
    recording: Recording | None  # running, of a hearing the caller may see
    hearing: RoomHearing | None  # the hearing the console works on
    today: list[RoomHearing]


async def courtroom_now(
    session: AsyncSession, principal: Principal, courtroom_id: str, *, timezone: str
) -> CourtroomNow:
    """The room's recording and hearings now, those the caller may not see left out."""
    recording = await session.scalar(
        select(Recording)
        .where(Recording.courtroom_id == courtroom_id, Recording.status == "recording")
        .order_by(Recording.started_at.desc())
        .limit(1)
    )
    recorded = None if recording is None else await session.get(Hearing, recording.hearing_id)
    if recorded is None or not await may_see(session, principal, recorded):
        recording, recorded = None, None
    today = await _hearings_today(session, principal, courtroom_id, timezone)
    current = None
    if recorded is not None:
        current = next((h for h in today if h.hearing.id == recorded.id), None)
        current = current or await _room_hearing(session, recorded)
    if current is None:
        # The first hearing of the day not yet over (closed or cancelled), else the last one.
        current = next(
            (h for h in today if h.hearing.status not in FINAL_STATUSES),
            today[-1] if today else None,
        )
    return CourtroomNow(recording, current, today)


async def _room_hearing(session: AsyncSession, hearing: Hearing) -> RoomHearing:
    case = await session.get(Case, hearing.case_id)
    return RoomHearing(hearing, case.number if case else "", case.title if case else "")


async def _hearings_today(
    session: AsyncSession, principal: Principal, courtroom_id: str, timezone: str
) -> list[RoomHearing]:
    """Today's hearings of the room in court time, those this caller may not see left out."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(datetime.now(zone).date(), time.min, tzinfo=zone)
    rows = await session.scalars(
        select(Hearing)
        .where(
            Hearing.courtroom_id == courtroom_id,
            Hearing.scheduled_start >= start,
            Hearing.scheduled_start < start + timedelta(days=1),
        )
        .order_by(Hearing.scheduled_start, Hearing.id)
    )
    return [
        await _room_hearing(session, hearing)
        for hearing in rows
        if await may_see(session, principal, hearing)
    ]
