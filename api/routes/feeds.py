"""The health of a courtroom's feeds, as the operator console shows it (polled about once a
second): per camera whether it publishes, its frame and bit rates, its last keyframe, how long
it has been silent and what its tile says of it; the alarms the console raises from them; the
spool's upload backlog; the courtroom's hearing and recording now.

The rules are the court's (court/monitoring/feed_health.py, court/monitoring/courtroom_now.py):
the page shows what this answer says.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from api.deps import OperatedCourtroom, RuntimeDep, SessionDep, SettingsDep, Staff
from api.holder import CourtroomAtHolder
from api.schemas.feeds import CurrentHearing, FeedsOut
from court.monitoring.courtroom_now import RoomHearing, courtroom_now
from court.monitoring.feed_health import SpoolTrend, feed_alarms, figures

router = APIRouter(prefix="/api/v1/courtrooms", tags=["feeds"])


def get_spool_trend(request: Request) -> SpoolTrend:
    """One per app, made on first use: the spool's trend spans every console's polls."""
    state = request.app.state
    if not hasattr(state, "spool_trend"):
        state.spool_trend = SpoolTrend()
    trend: SpoolTrend = state.spool_trend
    return trend


SpoolTrendDep = Annotated[SpoolTrend, Depends(get_spool_trend)]


@router.get("/{courtroom_id}/feeds", response_model=FeedsOut)
async def courtroom_feeds(
    session: SessionDep,
    runtime: RuntimeDep,
    settings: SettingsDep,
    spool_trend: SpoolTrendDep,
    principal: Staff,
    courtroom: OperatedCourtroom,
    _: CourtroomAtHolder,
) -> FeedsOut:
    clocks = runtime.publications.clock_offsets(courtroom.id)  # by publishing camera
    feeds = [
        figures(
            camera.name,
            runtime.hubs.hub(courtroom.id, camera.name),
            publishing=camera.name in clocks,
            clock_offset_s=clocks.get(camera.name, 0.0),
        )
        for camera in courtroom.cameras
    ]
    backlog, bound = runtime.recordings.spool_usage()
    now = await courtroom_now(session, principal, courtroom.id, timezone=settings.court_timezone)
    recording = now.recording
    alarms = feed_alarms(
        feeds, recording=recording is not None, backlog_growing=spool_trend.growing(backlog)
    )
    return FeedsOut(
        courtroom_id=courtroom.id,
        courtroom=courtroom.name,
        feeds=feeds,
        alarms=alarms,
        spool_backlog_bytes=backlog,
        spool_max_bytes=bound,
        upload_backlog=runtime.recordings.uploader.backlog(),
        recording_id=recording.id if recording else None,
        recording_started_at=recording.started_at if recording else None,
        hearing=_hearing_out(now.hearing) if now.hearing else None,
        hearings_today=[_hearing_out(h) for h in now.today],
    )


def _hearing_out(room_hearing: RoomHearing) -> CurrentHearing:
    hearing = room_hearing.hearing
    return CurrentHearing(
        id=hearing.id,
        title=hearing.title,
        case_number=room_hearing.case_number,
        case_title=room_hearing.case_title,
        status=hearing.status,
        visibility=hearing.visibility,
        scheduled_start=hearing.scheduled_start,
    )
