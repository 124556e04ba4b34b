"""The health of a courtroom's feeds, as the operator console shows it (polled about once a
second): per camera whether it publishes, its frame and bit rates, its last keyframe and how
long it has been silent; the spool's upload backlog; the courtroom's hearing and recording now.

Everything is counted on the encoded frames in the camera's hub: nothing is decoded. A caller who
may not see a hearing (api/visibility.py) gets the feeds' health as if that hearing and its
recording were not there: no title, case, recording id or start time of a sealed hearing.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel
from sqlalchemy import select

from api.deps import RuntimeDep, SessionDep, Staff
from api.visibility import may_see
from court.in_session import FINAL_STATUSES
from court.principals import Principal
from storage.models import Case, Courtroom, Hearing, Recording

router = APIRouter(prefix="/api/v1/courtrooms", tags=["feeds"])
STALLED_AFTER_S = 2.0  # a publishing camera silent this long is shown as stalled

Connection = Literal["live", "stalled", "offline"]


class FeedOut(BaseModel):
    camera: str
    publishing: bool
    connection: Connection
    fps: float
    bitrate_bps: float
    audio_frames_per_s: float
    frames: int
    bytes: int
    last_keyframe_age_s: float | None
    silent_s: float | None  # since the last frame of any kind
    audio_silent_s: float | None  # since the last audio frame
    video_codec: str | None
    subscribers: int


class CurrentHearing(BaseModel):
    id: str
    title: str
    case_number: str
    case_title: str
    status: str
    visibility: str
    scheduled_start: datetime


class FeedsOut(BaseModel):
    courtroom_id: str
    courtroom: str
    feeds: list[FeedOut]
    spool_backlog_bytes: int
    spool_max_bytes: int
    upload_backlog: int  # segments waiting for the store
    recording_id: str | None
    recording_started_at: datetime | None
    hearing: CurrentHearing | None
    hearings_today: list[CurrentHearing]


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


@router.get("/{courtroom_id}/feeds", response_model=FeedsOut)
async def courtroom_feeds(
    courtroom_id: str, session: SessionDep, runtime: RuntimeDep, principal: Staff
) -> FeedsOut:
    courtroom = await session.get(Courtroom, courtroom_id)
    if courtroom is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "courtroom not found")
    if not principal.may_use_courtroom(courtroom.id):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this token may not use that courtroom")
    control_room = runtime.control_room
    publishing = set(control_room.publishing_cameras(courtroom.id))
    feeds = []
    for camera in courtroom.cameras:
        hub = control_room.hubs.hub(courtroom.id, camera.name)
        silent = hub.seconds_since_last_frame()
        rates = hub.rates()
        on = camera.name in publishing
        connection: Connection = (
            "offline"
            if not on
            else "live"
            if silent is not None and silent < STALLED_AFTER_S
            else "stalled"
        )
        feeds.append(
            FeedOut(
                camera=camera.name,
                publishing=on,
                connection=connection,
                fps=round(rates.video_fps, 1),
                bitrate_bps=round(rates.bitrate_bps),
                audio_frames_per_s=round(rates.audio_frames_per_s, 1),
                frames=hub.frames_published,
                bytes=hub.bytes_published,
                last_keyframe_age_s=_rounded(hub.seconds_since_keyframe()),
                silent_s=_rounded(silent),
                audio_silent_s=_rounded(hub.seconds_since_audio()),
                video_codec=hub.video_codec,
                subscribers=hub.subscribers,
            )
        )
    backlog, bound = control_room.spool_usage()
    recording = await session.scalar(
        select(Recording)
        .where(Recording.courtroom_id == courtroom.id, Recording.status == "recording")
        .order_by(Recording.started_at.desc())
        .limit(1)
    )
    recorded = None if recording is None else await session.get(Hearing, recording.hearing_id)
    if recorded is None or not await may_see(session, principal, recorded):
        recording, recorded = None, None
    today = await _hearings_today(session, principal, courtroom.id, runtime.settings.court_timezone)
    current = None
    if recorded is not None:
        current = next((h for h in today if h.id == recorded.id), None)
        current = current or await _hearing_out(session, recorded)
    if current is None:
        # The first hearing of the day not yet over (closed or cancelled), else the last one.
        current = next(
            (h for h in today if h.status not in FINAL_STATUSES), today[-1] if today else None
        )
    return FeedsOut(
        courtroom_id=courtroom.id,
        courtroom=courtroom.name,
        feeds=feeds,
        spool_backlog_bytes=backlog,
        spool_max_bytes=bound,
        upload_backlog=control_room.uploader.backlog(),
        recording_id=recording.id if recording else None,
        recording_started_at=recording.started_at if recording else None,
        hearing=current,
        hearings_today=today,
    )


async def _hearing_out(session: SessionDep, hearing: Hearing) -> CurrentHearing:
    case = await session.get(Case, hearing.case_id)
    return CurrentHearing(
        id=hearing.id,
        title=hearing.title,
        case_number=case.number if case else "",
        case_title=case.title if case else "",
        status=hearing.status,
        visibility=hearing.visibility,
        scheduled_start=hearing.scheduled_start,
    )


async def _hearings_today(
    session: SessionDep, principal: Principal, courtroom_id: str, timezone: str
) -> list[CurrentHearing]:
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
        await _hearing_out(session, hearing)
        for hearing in rows
        if await may_see(session, principal, hearing)
    ]
