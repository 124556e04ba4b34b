"""Archive playback: a recording's camera as an HLS playlist whose links are signed for the
token that asked, so they die when it is revoked or the hearing is sealed. Its entries are
built the same way for the live playlists, which differ only in the segments they list."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from court.errors import NotFound
from court.live.signed_urls import UrlSigner
from court.playback_cache import LINK_QUERY, KeptTrack, PlaylistCache
from court.principals import Principal, link_subject
from court.visibility import visible_recording
from storage.gaps import recording_gaps
from storage.keys import ObjectName, TrackPrefix, parse_object_key
from storage.models import InitSegment
from storage.playlists import (
    NO_SEGMENTS,
    ListedSegment,
    SegmentsVersion,
    StoredEntries,
    listed_inits,
    listed_segments,
    segments_version,
    store_entries,
    stored_entries,
)
from streaming.hls import (
    PlaylistGap,
    PlaylistSegment,
    RenderedSegments,
    render_media_playlist,
    render_segments,
)


async def archive_playlist(
    session: AsyncSession,
    principal: Principal,
    signer: UrlSigner,
    cache: PlaylistCache,
    *,
    recording_id: str,
    camera: str,
) -> str:
    """The caller's playlist of a camera, its entries from `cache` (or, for a stopped
    recording, from the index) as far as the track's rows are unchanged; who may see it is
    judged first, on every request."""
    recording = await visible_recording(session, principal, recording_id)
    inits = await listed_inits(session, recording_id=recording.id, camera=camera)
    ended = recording.status != "recording"
    if not inits and ended:
        raise NotFound("this camera has no footage in the recording")
    gaps = tuple(
        PlaylistGap(gap.id, gap.started_at, gap.ended_at, gap.reason)
        for gap in await recording_gaps(session, recording_id=recording.id)
        if gap.camera in (None, camera)
    )
    track = (recording.id, camera)
    basis = KeptTrack.basis_of(inits)
    # read before any row is listed: a segment indexed meanwhile is left for the next request
    now = await segments_version(session, recording_id=recording.id, camera=camera)
    kept = cache.get(track)
    if kept is None and ended and inits:
        kept = await _stored_track(session, basis, now, recording_id=recording.id, camera=camera)
    current = await _brought_up_to_date(
        session, kept, inits, now, recording_id=recording.id, camera=camera
    )
    if inits:  # a camera with no footage is kept nowhere: any name asked for would be
        cache.put(track, current)
        if ended and current is not kept:
            await _store_track(session, current, recording_id=recording.id, camera=camera)
    body = render_media_playlist(current.entries, ended=ended, playlist_type="EVENT", gaps=gaps)
    query = signer.query(segments_path(recording.id, camera), subject=link_subject(principal))
    return body.replace(LINK_QUERY, query)


async def _brought_up_to_date(
    session: AsyncSession,
    kept: KeptTrack | None,
    inits: Sequence[InitSegment],
    now: SegmentsVersion,
    *,
    recording_id: str,
    camera: str,
) -> KeptTrack:
    """`kept` if the track's rows are those it was rendered from (`now` is the index's
    fingerprint of them); with the segments indexed since appended if nothing else changed (a
    growing recording); else rendered afresh (an init segment or a segment out of order
    indexed later, by spool recovery, or rows removed)."""
    basis = KeptTrack.basis_of(inits)
    if kept is not None and kept.inits == basis:
        if kept.version == now:
            return kept
        last = kept.version.last_sequence
        if last is not None and now.last_sequence is not None and now.last_sequence > last:
            new = await listed_segments(
                session,
                recording_id=recording_id,
                camera=camera,
                after=last,
                through=now.last_sequence,
            )
            if kept.version.then([segment.sequence for segment in new]) == now:
                entries = render_segments(playlist_items(inits, new, _kept_link), kept.entries)
                return KeptTrack(basis, now, entries)
    segments = await listed_segments(session, recording_id=recording_id, camera=camera)
    version = NO_SEGMENTS.then([segment.sequence for segment in segments])
    return KeptTrack(basis, version, render_segments(playlist_items(inits, segments, _kept_link)))


async def _stored_track(
    session: AsyncSession,
    basis: tuple[tuple[int, str], ...],
    now: SegmentsVersion,
    *,
    recording_id: str,
    camera: str,
) -> KeptTrack | None:
    """The entries the index keeps for the track, if rendered by this code from exactly the
    rows and init segments it has now."""
    stored = await stored_entries(session, recording_id=recording_id, camera=camera)
    if stored is None or stored.basis != _basis_digest(basis, now):
        return None
    return KeptTrack(
        basis, now, RenderedSegments(stored.entries, stored.target_s, stored.current_map)
    )


async def _store_track(
    session: AsyncSession, kept: KeptTrack, *, recording_id: str, camera: str
) -> None:
    """Keep a stopped track's entries in the index, for the processes that start later."""
    entries = kept.entries
    stored = StoredEntries(
        _basis_digest(kept.inits, kept.version),
        entries.text,
        entries.target_s,
        entries.current_map,
    )
    await store_entries(session, stored, recording_id=recording_id, camera=camera)


def _basis_digest(inits: tuple[tuple[int, str], ...], version: SegmentsVersion) -> str:
    """What entries were rendered from, and by which rendering (`_RENDERING`)."""
    return hashlib.sha256(repr((_RENDERING, inits, tuple(version))).encode()).hexdigest()


def _kept_link(name: str) -> str:
    """A link as kept: its query stands in for the one each request signs."""
    return f"segments/{name}?{LINK_QUERY}"


def segments_path(recording_id: str, camera: str) -> str:
    """The folder a track's archived objects are fetched from. Its links carry one signature
    for the whole folder: they open no more than the playlist that lists them all, and a
    4-hour playlist signs once instead of 7,200 times."""
    return f"/api/v1/recordings/{recording_id}/cameras/{camera}/segments/"


class Listable(Protocol):
    """What a playlist entry needs of a stored segment (an index row or a ListedSegment)."""

    @property
    def sequence(self) -> int: ...
    @property
    def epoch(self) -> int: ...
    @property
    def extension(self) -> str: ...
    @property
    def duration_s(self) -> float: ...
    @property
    def started_at(self) -> datetime: ...
    @property
    def discontinuity(self) -> bool: ...


def playlist_items(
    inits: Sequence[InitSegment], segments: Sequence[Listable], link: Callable[[str], str]
) -> list[PlaylistSegment]:
    """Playlist entries for the segments whose init segment is stored (in the given order).

    A segment's name comes from its number and extension, as the segment route finds it
    (its key ends with that name); each init link is signed once, not once per segment."""
    init_links = {init.epoch: link(str(parse_object_key(init.object_key).name)) for init in inits}
    return [
        PlaylistSegment(
            uri=link(str(ObjectName("segment", segment.sequence, segment.extension))),
            duration_s=segment.duration_s,
            program_date_time=segment.started_at,
            init_uri=init_links[segment.epoch],
            discontinuity=segment.discontinuity,
        )
        for segment in segments
        if segment.epoch in init_links
    ]


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
    rendered = render_segments(playlist_items(inits, segments, _kept_link))
    return hashlib.sha256(repr(rendered).encode()).hexdigest()


_RENDERING = _rendering()
