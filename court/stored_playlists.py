"""A stopped track's archive playlist entries stored in the index (storage/playlist_models.py).

Each process keeps what it rendered in memory (court/playback_cache.py); stored, the first
seek after a server start, or in another worker process, reads one row instead of listing and
rendering every segment (0.1 s of the event loop for 4 hours on a quiet machine, several
tenths on a busy one). A recording's tracks are stored once it is stopped and sealed, so even
its first seek finds them. Stored entries are served only under the digest of exactly the
rows, init segments and rendering they came from; anything else renders afresh.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from court.playback_cache import KeptTrack
from court.playlist_entries import rendered_track
from storage.db import Database
from storage.keys import TrackPrefix
from storage.models import InitSegment, Track
from storage.playlists import (
    ListedSegment,
    SegmentsVersion,
    StoredEntries,
    listed_inits,
    listed_segments,
    store_entries,
    stored_entries,
)
from streaming.hls import RenderedSegments


async def stored_track(
    session: AsyncSession,
    inits: tuple[tuple[int, str], ...],
    now: SegmentsVersion,
    *,
    recording_id: str,
    camera: str,
) -> KeptTrack | None:
    """The entries stored for the track, if rendered by this code from exactly the rows (`now`)
    and init segments it has now."""
    stored = await stored_entries(session, recording_id=recording_id, camera=camera)
    if stored is None or stored.basis != _basis_digest(inits, now):
        return None
    entries = RenderedSegments(stored.entries, stored.target_s, stored.current_map)
    return KeptTrack(inits, now, entries)


async def store_track(
    session: AsyncSession, kept: KeptTrack, *, recording_id: str, camera: str
) -> None:
    """Store a stopped track's entries, in place of any stored before, and commit."""
    entries = kept.entries
    stored = StoredEntries(
        _basis_digest(kept.inits, kept.version),
        entries.text,
        entries.target_s,
        entries.current_map,
    )
    await store_entries(session, stored, recording_id=recording_id, camera=camera)


async def store_recording_playlists(db: Database, recording_id: str) -> None:
    """Render and store each camera's entries of a recording just stopped and sealed. The
    rendering runs on a worker thread: 7,200 entries are 40 ms of Python that the cameras'
    event loop need not wait for in one piece."""
    async with db.session() as session:
        cameras = await session.scalars(
            select(Track.camera).where(Track.recording_id == recording_id).order_by(Track.camera)
        )
        for camera in list(cameras):
            inits = await listed_inits(session, recording_id=recording_id, camera=camera)
            if not inits:
                continue
            segments = await listed_segments(session, recording_id=recording_id, camera=camera)
            kept = await asyncio.to_thread(rendered_track, inits, segments)
            await store_track(session, kept, recording_id=recording_id, camera=camera)


def _basis_digest(inits: tuple[tuple[int, str], ...], version: SegmentsVersion) -> str:
    """What entries were rendered from, and by which rendering (`_RENDERING`)."""
    return hashlib.sha256(repr((_RENDERING, inits, tuple(version))).encode()).hexdigest()


def _rendering() -> str:
    """A sample track's entries as this code renders them, hashed: entries stored by a release
    that rendered them differently (another link or date format) are rendered again."""
    day = datetime(2026, 1, 1, tzinfo=UTC)
    prefix = TrackPrefix("court", "courtroom", "recording", "camera", day)
    inits = [InitSegment(epoch=epoch, object_key=prefix.init_key(epoch)) for epoch in (0, 1)]
    segments = [
        ListedSegment(
            n, n // 2, "m4s", 2.0 - n / 3, day + timedelta(seconds=2 * n, microseconds=7), n == 3
        )
        for n in range(4)
    ]
    return hashlib.sha256(repr(rendered_track(inits, segments).entries).encode()).hexdigest()


_RENDERING = _rendering()
