"""What a playlist reads of a track: a few columns per segment, not whole index rows.

A 4-hour recording is 7,200 segments per camera; loading them as ORM objects (digests, keys,
fences and all) took most of the time its playlist was served in.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InitSegment, Segment, Track


class ListedSegment(NamedTuple):
    """One playlist entry's worth of a stored segment."""

    sequence: int
    epoch: int
    extension: str
    duration_s: float
    started_at: datetime
    discontinuity: bool


async def listed_segments(
    session: AsyncSession, *, recording_id: str, camera: str
) -> list[ListedSegment]:
    """A camera's stored segments in playback order (sequence), in one query."""
    rows = await session.execute(
        select(
            Segment.sequence,
            Segment.epoch,
            Segment.extension,
            Segment.duration_s,
            Segment.started_at,
            Segment.discontinuity,
        )
        .join(Track, Track.id == Segment.track_id)
        .where(Track.recording_id == recording_id, Track.camera == camera)
        .order_by(Segment.sequence)
    )
    return [ListedSegment(*row) for row in rows]


class SegmentsVersion(NamedTuple):
    """Changes whenever a track's list of segments does: a row added (even out of order, as
    spool recovery does) or removed. Segment rows are written once and never updated (the
    catalog only inserts them), so their numbers say which rows there are."""

    segments: int
    last_sequence: int | None
    sequence_sum: int | None


async def segments_version(
    session: AsyncSession, *, recording_id: str, camera: str
) -> SegmentsVersion:
    """A camera's segments summed up in one aggregate query over the (track, sequence) index
    alone: about 2 ms for 7,200 segments where listing them takes 25."""
    row = (
        await session.execute(
            select(func.count(), func.max(Segment.sequence), func.sum(Segment.sequence))
            .select_from(Segment)
            .join(Track, Track.id == Segment.track_id)
            .where(Track.recording_id == recording_id, Track.camera == camera)
        )
    ).one()
    return SegmentsVersion(*row)


async def listed_inits(
    session: AsyncSession, *, recording_id: str, camera: str
) -> list[InitSegment]:
    """A camera's init segments, one per epoch, in epoch order."""
    found = await session.scalars(
        select(InitSegment)
        .join(Track, Track.id == InitSegment.track_id)
        .where(Track.recording_id == recording_id, Track.camera == camera)
        .order_by(InitSegment.epoch)
    )
    return list(found)
