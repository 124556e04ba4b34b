"""What a playlist reads of a track: a few columns per segment, not whole index rows.

A 4-hour recording is 7,200 segments per camera; loading them as ORM objects (digests, keys,
fences and all) took most of the time its playlist was served in. A stopped track's entries,
once rendered, are kept here too (storage/playlist_models.py).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.cluster_models import insert
from storage.models import InitSegment, Segment, Track, utcnow
from storage.playlist_models import KeptPlaylist


class ListedSegment(NamedTuple):
    """One playlist entry's worth of a stored segment."""

    sequence: int
    epoch: int
    extension: str
    duration_s: float
    started_at: datetime
    discontinuity: bool


async def listed_segments(
    session: AsyncSession,
    *,
    recording_id: str,
    camera: str,
    after: int | None = None,
    through: int | None = None,
) -> list[ListedSegment]:
    """A camera's stored segments in playback order (sequence), in one query; only those
    numbered above `after` and up to `through` when given."""
    query = (
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
    if after is not None:
        query = query.where(Segment.sequence > after)
    if through is not None:
        query = query.where(Segment.sequence <= through)
    return [ListedSegment(*row) for row in await session.execute(query)]


class SegmentsVersion(NamedTuple):
    """Changes whenever a track's list of segments does: a row added (even out of order, as
    spool recovery does) or removed. Segment rows are written once and never updated (the
    catalog only inserts them), so their numbers say which rows there are."""

    segments: int
    last_sequence: int | None
    sequence_sum: int | None

    def then(self, sequences: Sequence[int]) -> SegmentsVersion:
        """The version once rows numbered `sequences` (ascending, all above this version's
        last) are added: what the index must then report if nothing else changed."""
        if not sequences:
            return self
        return SegmentsVersion(
            self.segments + len(sequences),
            sequences[-1],
            (self.sequence_sum or 0) + sum(sequences),
        )


NO_SEGMENTS = SegmentsVersion(0, None, None)


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


class StoredEntries(NamedTuple):
    """A track's playlist entries as rendered, under the digest of what they were rendered
    from (the caller's: the index only compares it)."""

    basis: str
    entries: str
    target_s: int | None
    current_map: str | None


async def stored_entries(
    session: AsyncSession, *, recording_id: str, camera: str
) -> StoredEntries | None:
    """The entries kept for a camera's track, if any were."""
    row = (
        await session.execute(
            select(
                KeptPlaylist.basis,
                KeptPlaylist.entries,
                KeptPlaylist.target_s,
                KeptPlaylist.current_map,
            )
            .join(Track, Track.id == KeptPlaylist.track_id)
            .where(Track.recording_id == recording_id, Track.camera == camera)
        )
    ).first()
    if row is None:
        return None
    basis, entries, target_s, current_map = row
    try:
        text = zlib.decompress(entries).decode()
    except (zlib.error, UnicodeDecodeError):  # a damaged row is as good as none: rendered again
        return None
    return StoredEntries(basis, text, target_s, current_map)


async def store_entries(
    session: AsyncSession, stored: StoredEntries, *, recording_id: str, camera: str
) -> None:
    """Keep `stored` for the camera's track in place of what was kept, and commit. Of two
    processes storing at once the last one stays; if it rendered fewer rows than the index now
    has, its digest no longer matches and the next reader renders and stores again."""
    track_id = await session.scalar(
        select(Track.id).where(Track.recording_id == recording_id, Track.camera == camera)
    )
    if track_id is None:
        return
    fresh = {
        **stored._asdict(),
        "entries": zlib.compress(stored.entries.encode()),  # 3 ms for 4 hours' 684 KB
        "kept_at": utcnow(),
    }
    await session.execute(
        insert(session, KeptPlaylist)
        .values(track_id=track_id, **fresh)
        .on_conflict_do_update(index_elements=["track_id"], set_=fresh)
    )
    await session.commit()


@dataclass(frozen=True, slots=True)
class TrackTail:
    """The last segments of a camera's track, read without the rest of it (live playlists)."""

    segments: list[Segment]  # in sequence order, at most the count asked for
    discontinuities_before: int  # discontinuities among the segments before `segments`


_EDGE_MARGIN = 4  # rows beyond the count: those that started before the edge but end after it


async def track_tail(
    session: AsyncSession,
    *,
    recording_id: str,
    camera: str,
    count: int,
    ended_by: datetime | None = None,
) -> TrackTail:
    """The last `count` segments (those ended by `ended_by`, if given) and the discontinuities
    before them: a live playlist polled every target duration by every viewer costs the same at
    hour 4 as at minute 1 (reading the whole track cost 127 ms at 7,200 segments). A track's
    segments follow each other in time, so only the one or two that straddle `ended_by` can have
    started by it and not ended: `_EDGE_MARGIN` covers them."""
    track = await session.scalar(
        select(Track).where(Track.recording_id == recording_id, Track.camera == camera)
    )
    if track is None:
        return TrackTail([], 0)
    latest = select(Segment).where(Segment.track_id == track.id)
    if ended_by is None:
        latest = latest.order_by(Segment.sequence.desc())
    else:  # in start order, which is sequence order, so (track, started_at)'s index serves both
        latest = latest.where(Segment.started_at <= ended_by).order_by(Segment.started_at.desc())
    rows = list(await session.scalars(latest.limit(count + _EDGE_MARGIN)))
    if ended_by is not None:
        rows = [s for s in rows if s.started_at + timedelta(seconds=s.duration_s) <= ended_by]
    segments = sorted(rows[:count], key=lambda s: s.sequence)
    before = 0
    if segments:
        before = (
            await session.scalar(
                select(func.count())
                .select_from(Segment)
                .where(
                    Segment.track_id == track.id,
                    Segment.sequence < segments[0].sequence,
                    Segment.discontinuity.is_(True),
                )
            )
            or 0
        )
    return TrackTail(segments, before)
