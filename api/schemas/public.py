"""Today's hearings as anyone may see them (no sealed one; a restricted one only by room)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

from api.schemas.courtrooms import CameraLabel
from api.schemas.screens import RunningOrderOut


class PublicProgram(BaseModel):
    on_air: str | None
    slate: str | None


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
    # the court's program feed: watch camera "program"; `slate` (recess, off_record) when
    # nothing goes out; null: no program, each camera may be watched
    program: PublicProgram | None = None
    # the sitting it is held in: public hearings named, restricted ones by place and time only
    sitting: RunningOrderOut | None = None


class PublicDay(BaseModel):
    date: date
    timezone: str
    items: list[PublicHearing]
