"""A courtroom's feeds as the operator console shows them (the rules are court/monitoring's)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from court.monitoring.feed_health import FeedAlarm, FeedFigures


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
    feeds: list[FeedFigures]  # each camera's figures, connection and tile notes
    alarms: list[FeedAlarm]  # the console's own; the watchdog's come over /api/v1/events
    spool_backlog_bytes: int
    spool_max_bytes: int
    upload_backlog: int  # segments waiting for the store
    recording_id: str | None
    recording_started_at: datetime | None
    hearing: CurrentHearing | None
    hearings_today: list[CurrentHearing]
