"""What anyone may know about today's hearings: the public list behind `/watch`.

No token is needed. Public and restricted hearings are listed (a restricted one
still needs its access code to be watched); sealed hearings never appear, and
asking for one by id answers 404 exactly as an unknown id does
(court/live/viewer_access.py's convention). A restricted hearing is shown only by its
courtroom, time and state (court/live/public_hearings.py), and the pages say
"restricted hearing".
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query

from api.deps import RuntimeDep, SessionDep, SettingsDep
from api.holder import ListedHearingAtHolder
from api.schemas.courtrooms import camera_labels
from api.schemas.public import PublicDay, PublicHearing, PublicProgram
from api.schemas.screens import RunningOrderOut
from api.time_range import BoundedDate
from court.live import public_hearings
from court.live.public_hearings import PublicFacts
from court.running_order import order_for, publicly_named, sitting_of

router = APIRouter(prefix="/api/v1/public", tags=["public"])


def public_view(facts: PublicFacts, court: str) -> PublicHearing:
    hearing = facts.hearing
    return PublicHearing(
        id=hearing.id,
        case_number=facts.case_number,
        case_title=facts.case_title,
        title=facts.title,
        courtroom=facts.courtroom,
        court=court,
        scheduled_start=hearing.scheduled_start,
        status=hearing.status,
        visibility=hearing.visibility,
        broadcast_on=facts.broadcast.on,
        delay_s=facts.broadcast.delay_s,
        cameras=[camera.name for camera in facts.cameras],
        camera_labels=camera_labels(facts.cameras),
        live_cameras=facts.live_cameras,
        program=PublicProgram(on_air=facts.program.on_air, slate=facts.program.slate)
        if facts.program
        else None,
    )


@router.get("/hearings", response_model=PublicDay)
async def hearings_of_the_day(
    session: SessionDep,
    runtime: RuntimeDep,
    settings: SettingsDep,
    day: Annotated[
        BoundedDate | None, Query(alias="date", description="YYYY-MM-DD in court time")
    ] = None,
) -> PublicDay:
    """A day's public and restricted hearings (today in the court's zone by default)."""
    zone = ZoneInfo(settings.court_timezone)
    day = day or datetime.now(zone).date()
    start = datetime.combine(day, time.min, tzinfo=zone)
    listed = await public_hearings.hearings_of_the_day(session, runtime, start)
    items = [public_view(facts, settings.court_name) for facts in listed]
    return PublicDay(date=day, timezone=settings.court_timezone, items=items)


@router.get("/hearings/{hearing_id}", response_model=PublicHearing)
async def public_hearing(
    hearing_id: str,
    session: SessionDep,
    runtime: RuntimeDep,
    settings: SettingsDep,
    _: ListedHearingAtHolder,
) -> PublicHearing:
    """With the running order of the sitting it is held in, for a family waiting for its case
    (each hearing still to be held with an estimated start)."""
    facts = await public_hearings.listed_hearing(session, runtime, hearing_id)
    view = public_view(facts, settings.court_name)
    sitting = await sitting_of(session, hearing_id)
    if sitting is not None:
        now = datetime.now(UTC)
        order = await order_for(session, sitting, named=publicly_named, now=now)
        view.sitting = RunningOrderOut.of(order)
    return view
