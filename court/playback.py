"""Archive playback: a recording's camera as an HLS playlist whose links are signed for the
token that asked, so they die when it is revoked or the hearing is sealed. Its entries
(court/playlist_entries.py) are kept in memory, and a stopped track's in the index too."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from court.errors import NotFound
from court.live.signed_urls import UrlSigner
from court.playback_cache import LINK_QUERY, KeptTrack, PlaylistCache
from court.playlist_entries import kept_link, playlist_items, rendered_track
from court.principals import Principal, link_subject
from court.stored_playlists import store_track, stored_track
from court.visibility import visible_recording
from storage.gaps import recording_gaps
from storage.models import InitSegment
from storage.playlists import SegmentsVersion, listed_inits, listed_segments, segments_version
from streaming.hls import PlaylistGap, render_media_playlist, render_segments


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
        kept = await stored_track(session, basis, now, recording_id=recording.id, camera=camera)
    current = await _brought_up_to_date(
        session, kept, inits, now, recording_id=recording.id, camera=camera
    )
    if inits:  # a camera with no footage is kept nowhere: any name asked for would be
        cache.put(track, current)
        if ended and current is not kept:
            await store_track(session, current, recording_id=recording.id, camera=camera)
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
                entries = render_segments(playlist_items(inits, new, kept_link), kept.entries)
                return KeptTrack(basis, now, entries)
    return rendered_track(
        inits, await listed_segments(session, recording_id=recording_id, camera=camera)
    )


def segments_path(recording_id: str, camera: str) -> str:
    """The folder a track's archived objects are fetched from. Its links carry one signature
    for the whole folder: they open no more than the playlist that lists them all, and a
    4-hour playlist signs once instead of 7,200 times."""
    return f"/api/v1/recordings/{recording_id}/cameras/{camera}/segments/"
