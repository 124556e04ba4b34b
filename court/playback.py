"""Archive playback: a recording's camera as an HLS playlist whose links are signed for the
token that asked, so they die when it is revoked or the hearing is sealed. Its entries are
built the same way for the live playlists, which differ only in the segments they list."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from court.errors import NotFound
from court.live.signed_urls import UrlSigner
from court.playback_cache import LINK_QUERY, KeptTrack, PlaylistCache
from court.principals import Principal, link_subject
from court.visibility import visible_recording
from storage.gaps import recording_gaps
from storage.keys import ObjectName, parse_object_key
from storage.models import InitSegment
from storage.playlists import NO_SEGMENTS, listed_inits, listed_segments, segments_version
from streaming.hls import PlaylistGap, PlaylistSegment, render_media_playlist, render_segments


async def archive_playlist(
    session: AsyncSession,
    principal: Principal,
    signer: UrlSigner,
    cache: PlaylistCache,
    *,
    recording_id: str,
    camera: str,
) -> str:
    """The caller's playlist of a camera, its entries from `cache` as far as the track's rows
    are unchanged; who may see it is judged first, on every request."""
    recording = await visible_recording(session, principal, recording_id)
    inits = await listed_inits(session, recording_id=recording.id, camera=camera)
    if not inits and recording.status != "recording":
        raise NotFound("this camera has no footage in the recording")
    gaps = tuple(
        PlaylistGap(gap.id, gap.started_at, gap.ended_at, gap.reason)
        for gap in await recording_gaps(session, recording_id=recording.id)
        if gap.camera in (None, camera)
    )
    track = (recording.id, camera)
    kept = await _brought_up_to_date(
        session, cache.get(track), inits, recording_id=recording.id, camera=camera
    )
    if inits:  # a camera with no footage is kept nowhere: any name asked for would be
        cache.put(track, kept)
    body = render_media_playlist(
        kept.entries, ended=recording.status != "recording", playlist_type="EVENT", gaps=gaps
    )
    query = signer.query(segments_path(recording.id, camera), subject=link_subject(principal))
    return body.replace(LINK_QUERY, query)


async def _brought_up_to_date(
    session: AsyncSession,
    kept: KeptTrack | None,
    inits: Sequence[InitSegment],
    *,
    recording_id: str,
    camera: str,
) -> KeptTrack:
    """`kept` if the track's rows are those it was rendered from; with the segments indexed
    since appended if nothing else changed (a growing recording); else rendered afresh (an
    init segment or a segment out of order indexed later, by spool recovery, or rows removed).

    The index's fingerprint of the rows is read first: a segment indexed while the new ones
    are read is left for the next request, never listed twice or out of order."""
    basis = tuple((init.epoch, init.object_key) for init in inits)
    now = await segments_version(session, recording_id=recording_id, camera=camera)
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
