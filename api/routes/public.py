"""What anyone may know about today's hearings: the public list behind `/watch`.

No token is needed. Public and restricted hearings are listed (a restricted one
still needs its access code to be watched); sealed hearings never appear, and
asking for one by id answers 404 exactly as an unknown id does
(api/viewer_access.py's convention). A restricted hearing is shown only by its
courtroom, time and state: its case number, case title and hearing title are
blank (they can name a minor or a family), and the pages say "restricted hearing".
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import RuntimeDep, SessionDep
from api.schemas import CameraLabel
from api.time_range import BoundedDate
from api.viewer_access import NOT_FOUND
from court.in_session import hearing_in_session
from court.runtime import Runtime
from storage.models import Case, Courtroom, Hearing

router = APIRouter(prefix="/api/v1/public", tags=["public"])
LISTED = ("public", "restricted")


class PublicHearing(BaseModel):
    id: str
    case_number: str
    case_title: str
    title: str
    courtroom: str
    court: str
    scheduled_start: datetime
    status: str  # scheduled, in_session, recess, closed
    visibility: str  # public or restricted (a restricted hearing needs an access code)
    broadcast_on: bool
    delay_s: float  # the broadcast runs this far behind the room (0: real time)
    cameras: list[str]
    camera_labels: dict[str, CameraLabel]  # display names, as the room's staff named them
    live_cameras: list[str]  # cameras publishing now


class PublicDay(BaseModel):
    date: date
    timezone: str
    items: list[PublicHearing]


async def public_view(session: AsyncSession, runtime: Runtime, hearing: Hearing) -> PublicHearing:
    case = await session.get(Case, hearing.case_id)
    courtroom = await session.get(Courtroom, hearing.courtroom_id)
    assert case is not None and courtroom is not None  # foreign keys
    broadcast = await runtime.broadcasts.state(session, hearing.id)
    named = hearing.visibility == "public"
    return PublicHearing(
        id=hearing.id,
        case_number=case.number if named else "",
        case_title=case.title if named else "",
        title=hearing.title if named else "",
        courtroom=courtroom.name,
        court=runtime.settings.court_name,
        scheduled_start=hearing.scheduled_start,
        status=hearing.status,
        visibility=hearing.visibility,
        broadcast_on=broadcast.on,
        delay_s=broadcast.delay_s,
        cameras=[camera.name for camera in courtroom.cameras],
        camera_labels={
            camera.name: CameraLabel(zh=camera.label_zh, en=camera.label_en)
            for camera in courtroom.cameras
        },
        # only through the room's hearing in session: another hearing's cameras stay dark
        live_cameras=runtime.control_room.publishing_cameras(courtroom.id)
        if await hearing_in_session(session, courtroom.id) == hearing.id
        else [],
    )


@router.get("/hearings", response_model=PublicDay)
async def hearings_of_the_day(
    session: SessionDep,
    runtime: RuntimeDep,
    day: Annotated[
        BoundedDate | None, Query(alias="date", description="YYYY-MM-DD in court time")
    ] = None,
) -> PublicDay:
    """A day's public and restricted hearings (today in the court's zone by default)."""
    zone = ZoneInfo(runtime.settings.court_timezone)
    day = day or datetime.now(zone).date()
    start = datetime.combine(day, time.min, tzinfo=zone)
    rows = await session.scalars(
        select(Hearing)
        .where(
            Hearing.visibility.in_(LISTED),
            Hearing.scheduled_start >= start,
            Hearing.scheduled_start < start + timedelta(days=1),
        )
        .order_by(Hearing.scheduled_start, Hearing.id)
        .limit(500)
    )
    items = [await public_view(session, runtime, hearing) for hearing in rows]
    return PublicDay(date=day, timezone=runtime.settings.court_timezone, items=items)


@router.get("/hearings/{hearing_id}", response_model=PublicHearing)
async def public_hearing(
    hearing_id: str, session: SessionDep, runtime: RuntimeDep
) -> PublicHearing:
    hearing = await session.get(Hearing, hearing_id)
    if hearing is None or hearing.visibility not in LISTED:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    return await public_view(session, runtime, hearing)
