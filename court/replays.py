"""Replays: a closed hearing published for watching afterwards, with its off-record periods cut.

An operator publishes a closed hearing for a number of days: a public hearing to anyone, a
restricted one to the holders of its access codes (the hearing's or its case's); a sealed one
never. The replay plays every stopped recording of the hearing in order, one camera at a time.

Off-record periods (an `off_record_start` marker, whose text is the reason, to the next
`off_record_end`, or to the end of the recording) are cut at keyframes without transcoding:
every stored segment that overlaps one is left out (each segment begins with a keyframe), so
the cut removes the period and at most a segment's length on either side, never less. The
replay says where and why it was cut, and how many seconds each cut removed. The segments
left out are refused by the replay's segment route too, not only missing from its playlist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from court.errors import Conflict, NotFound
from court.principals import Principal
from storage.keys import ObjectName
from storage.models import Hearing, InitSegment, Marker, Recording, Segment, Track
from storage.playlists import ListedSegment, listed_inits, listed_segments
from storage.replay_models import Replay

REPLAY_NOT_FOUND = "this hearing has no replay"
MAX_DAYS = 90
AUDIENCE = {"public": "public", "restricted": "codes"}  # hearing visibility -> who may watch


@dataclass(frozen=True, slots=True)
class Cut:
    start: datetime
    end: datetime
    reason: str
    removed_s: float = 0.0  # footage of the camera left out for it (whole segments)


@dataclass(frozen=True, slots=True)
class RecordingPart:
    """One recording's share of a replay: its init segments and the segments kept."""

    recording_id: str
    inits: list[InitSegment]
    segments: list[ListedSegment]


@dataclass(frozen=True, slots=True)
class ReplayTrack:
    parts: list[RecordingPart]
    cuts: list[Cut] = field(default_factory=list)


async def publish_replay(
    session: AsyncSession, principal: Principal, hearing: Hearing, *, days: int
) -> Replay:
    """Publish (or publish again, for new terms) a closed hearing for `days` days."""
    if hearing.status != "closed":
        raise Conflict(f"only a closed hearing is replayed; this one is {hearing.status}")
    audience = AUDIENCE.get(hearing.visibility)
    if audience is None:
        raise Conflict("a sealed hearing is never replayed")
    if not 1 <= days <= MAX_DAYS:
        raise Conflict(f"a replay lasts 1 to {MAX_DAYS} days")
    now = datetime.now(UTC)
    replay = await session.get(Replay, hearing.id) or Replay(hearing_id=hearing.id)
    replay.audience, replay.expires_at = audience, now + timedelta(days=days)
    replay.published_by, replay.published_at, replay.withdrawn_at = principal.name, now, None
    session.add(replay)
    await session.commit()
    return replay


async def withdraw_replay(session: AsyncSession, hearing: Hearing) -> None:
    replay = await session.get(Replay, hearing.id)
    if replay is None:
        raise NotFound(REPLAY_NOT_FOUND)
    replay.withdrawn_at = replay.withdrawn_at or datetime.now(UTC)
    await session.commit()


async def published_replay(session: AsyncSession, hearing_id: str) -> tuple[Hearing, Replay]:
    """The hearing and its replay while it may be watched; NotFound otherwise (for a sealed
    hearing exactly as for an unknown id). Its audience follows the hearing's visibility now:
    a hearing sealed or made restricted since publishing is not replayed to the old one."""
    hearing = await session.get(Hearing, hearing_id)
    replay = await session.get(Replay, hearing_id) if hearing is not None else None
    if (
        hearing is None
        or replay is None
        or replay.withdrawn_at is not None
        or replay.expires_at <= datetime.now(UTC)
        or AUDIENCE.get(hearing.visibility) != replay.audience
    ):
        raise NotFound(REPLAY_NOT_FOUND)
    return hearing, replay


async def replay_track(session: AsyncSession, hearing: Hearing, camera: str) -> ReplayTrack:
    """The camera's footage of every stopped recording of the hearing, off-record cut out."""
    recordings = await session.scalars(
        select(Recording)
        .where(Recording.hearing_id == hearing.id, Recording.status != "recording")
        .order_by(Recording.started_at, Recording.id)
    )
    parts: list[RecordingPart] = []
    removed: dict[int, float] = {}
    periods = await off_record_periods(session, hearing.id)
    for recording in recordings:
        inits = await listed_inits(session, recording_id=recording.id, camera=camera)
        kept: list[ListedSegment] = []
        after_cut = False
        for segment in await listed_segments(session, recording_id=recording.id, camera=camera):
            hit = _overlapping(periods, segment.started_at, segment.duration_s)
            if hit is not None:
                removed[hit] = removed.get(hit, 0.0) + segment.duration_s
                after_cut = True
                continue
            kept.append(segment._replace(discontinuity=True) if after_cut else segment)
            after_cut = False
        if kept:
            parts.append(RecordingPart(recording.id, inits, kept))
    cuts = [
        Cut(p.start, p.end, p.reason, round(removed.get(i, 0.0), 3)) for i, p in enumerate(periods)
    ]
    return ReplayTrack(parts, cuts)


async def replay_holds(
    session: AsyncSession, hearing: Hearing, camera: str, recording_id: str, name: ObjectName
) -> bool:
    """Whether one stored object is the replay's, asked of that object alone (a segment
    request must not list a 4-hour hearing): an init segment of a stopped recording of the
    hearing, or a media segment of one that overlaps no off-record period."""
    recording = await session.get(Recording, recording_id)
    if recording is None or recording.hearing_id != hearing.id or recording.status == "recording":
        return False
    if name.sequence is None:
        inits = await listed_inits(session, recording_id=recording_id, camera=camera)
        return any(init.epoch == name.epoch for init in inits)
    row = (
        await session.execute(
            select(Segment.started_at, Segment.duration_s)
            .join(Track, Track.id == Segment.track_id)
            .where(
                Track.recording_id == recording_id,
                Track.camera == camera,
                Segment.sequence == name.sequence,
            )
        )
    ).first()
    if row is None:
        return False
    periods = await off_record_periods(session, hearing.id)
    return _overlapping(periods, row.started_at, row.duration_s) is None


def _overlapping(periods: list[Cut], started_at: datetime, duration_s: float) -> int | None:
    end = started_at + timedelta(seconds=duration_s)
    for index, period in enumerate(periods):
        if started_at < period.end and end > period.start:
            return index
    return None


async def off_record_periods(session: AsyncSession, hearing_id: str) -> list[Cut]:
    """The hearing's off-record periods from its markers, in time order; one never ended
    lasts to the end of its recording."""
    rows = await session.execute(
        select(Marker, Recording.stopped_at)
        .join(Recording, Recording.id == Marker.recording_id)
        .where(
            Recording.hearing_id == hearing_id,
            Marker.kind.in_(("off_record_start", "off_record_end")),
        )
        .order_by(Marker.at, Marker.created_at)
    )
    periods: list[Cut] = []
    open_at: tuple[datetime, str, datetime | None] | None = None
    for marker, stopped_at in rows:
        if marker.kind == "off_record_start" and open_at is None:
            open_at = (marker.at, marker.text, stopped_at)
        elif marker.kind == "off_record_end" and open_at is not None:
            periods.append(Cut(open_at[0], marker.at, open_at[1]))
            open_at = None
    if open_at is not None:
        end = open_at[2] or datetime.now(UTC)
        periods.append(Cut(open_at[0], end, open_at[1]))
    return periods
