"""A replay's playlist and cuts per camera, kept while the footage and markers they come from
are unchanged.

A replay is watched by anyone (a public hearing) without a token, and its playlist and its
terms were built from every segment of the hearing on each request: about 0.1 s of the event
loop that carries the cameras per request for a 4-hour hearing, which an anonymous client
could ask for in a loop. What is kept is the same for every watcher: links' queries (a code
holder's signature) are left as a placeholder and put in per request. Whether the replay may
be watched is judged before the cache is asked; what it is compared with (each stopped
recording's init segments and the count, highest and sum of its segment numbers, and the
off-record periods) is read from the index on every request.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from court.playback_cache import LINK_QUERY, SizedCache
from court.playlist_entries import playlist_items
from court.replays import Cut, off_record_periods, replay_track
from storage.models import Hearing, Recording
from storage.playlists import listed_inits, segments_version
from streaming.hls import PlaylistSegment, render_media_playlist


@dataclass(frozen=True, slots=True)
class RenderedReplay:
    """One camera's replay: its playlist (LINK_QUERY where a link's query goes) and cuts."""

    version: Hashable
    playlist: str
    cuts: tuple[Cut, ...]

    @property
    def size(self) -> int:
        return len(self.playlist)


class ReplayCache(SizedCache[RenderedReplay]):
    """Rendered replays, one per (hearing, camera)."""


async def rendered_replay(
    session: AsyncSession, hearing: Hearing, camera: str, cache: ReplayCache
) -> RenderedReplay:
    """The camera's replay from `cache` if what it shows is unchanged, else rendered afresh.
    The version is read first: a replay kept is never older than the version it is kept under."""
    version = await _replay_version(session, hearing, camera)
    kept = cache.get((hearing.id, camera))
    if kept is not None and kept.version == version:
        return kept
    track = await replay_track(session, hearing, camera)
    items: list[PlaylistSegment] = []
    for part in track.parts:  # each recording its own init: the renderer marks the change
        items += playlist_items(part.inits, part.segments, _kept_link(part.recording_id))
    playlist = render_media_playlist(items, ended=True, playlist_type="VOD")
    rendered = RenderedReplay(version, playlist, tuple(track.cuts))
    cache.put((hearing.id, camera), rendered)
    return rendered


async def _replay_version(session: AsyncSession, hearing: Hearing, camera: str) -> Hashable:
    recordings = await session.scalars(
        select(Recording.id)
        .where(Recording.hearing_id == hearing.id, Recording.status != "recording")
        .order_by(Recording.started_at, Recording.id)
    )
    parts = []
    for recording_id in list(recordings):
        inits = await listed_inits(session, recording_id=recording_id, camera=camera)
        rows = await segments_version(session, recording_id=recording_id, camera=camera)
        parts.append((recording_id, tuple((i.epoch, i.object_key) for i in inits), rows))
    return tuple(parts), tuple(await off_record_periods(session, hearing.id))


def _kept_link(recording_id: str) -> Callable[[str], str]:
    return lambda name: f"segments/{recording_id}/{name}{LINK_QUERY}"
