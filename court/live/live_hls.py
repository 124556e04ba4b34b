"""What a live HLS viewer is shown: a sliding window over the segments being recorded.

Public and code holders see the broadcast: only segments that ended at least the broadcast
delay ago. Staff see the live edge. The API renders the window as a playlist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from court.errors import NotFound
from court.live.broadcasts import BroadcastDesk
from storage.catalog import track_objects
from storage.models import InitSegment, Recording, Segment

LIVE_WINDOW = 6  # segments (~12 s): enough for players to buffer, short enough to stay live
NOT_STARTED = "the hearing has not started"
NO_SUCH_SEGMENT = "no such segment"


@dataclass(frozen=True, slots=True)
class LiveWindow:
    recording: Recording
    inits: list[InitSegment]
    window: list[Segment]  # the last LIVE_WINDOW segments a viewer may see
    before: list[Segment]  # those that slid out (they count discontinuities)

    @property
    def media_sequence(self) -> int:
        return self.window[0].sequence - 1 if self.window else 0

    @property
    def discontinuity_sequence(self) -> int:
        return sum(1 for s in self.before if s.discontinuity)


async def latest_recording(session: AsyncSession, hearing_id: str, missing: str) -> Recording:
    """The hearing's current (or last) recording: what live viewers are shown."""
    recording = await session.scalar(
        select(Recording)
        .where(Recording.hearing_id == hearing_id)
        .order_by(Recording.started_at.desc())
        .limit(1)
    )
    if recording is None:
        raise NotFound(missing)
    return recording


async def live_window(
    session: AsyncSession,
    broadcasts: BroadcastDesk,
    hearing_id: str,
    camera: str,
    *,
    real_time: bool,
    now: datetime | None = None,
) -> LiveWindow:
    """The camera's live window for a viewer at the live edge (`real_time`) or behind it."""
    recording = await latest_recording(session, hearing_id, NOT_STARTED)
    inits, segments = await track_objects(session, recording_id=recording.id, camera=camera)
    if not real_time:
        delay = (await broadcasts.state(session, hearing_id)).delay_s
        edge = (now or datetime.now(UTC)) - timedelta(seconds=delay)
        segments = [s for s in segments if s.started_at + timedelta(seconds=s.duration_s) <= edge]
    return LiveWindow(recording, inits, segments[-LIVE_WINDOW:], segments[:-LIVE_WINDOW])
