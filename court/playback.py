"""Archive playback: a recording's camera as an HLS playlist whose links are signed for the
token that asked, so they die when it is revoked or the hearing is sealed. Its entries are
built the same way for the live playlists, which differ only in the segments they list."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from court.errors import NotFound
from court.live.signed_urls import UrlSigner
from court.principals import Principal, link_subject
from court.visibility import visible_recording
from storage.catalog import track_objects
from storage.gaps import recording_gaps
from storage.keys import parse_object_key
from storage.models import InitSegment, Segment
from streaming.hls import PlaylistGap, PlaylistSegment, render_media_playlist


async def archive_playlist(
    session: AsyncSession,
    principal: Principal,
    signer: UrlSigner,
    *,
    recording_id: str,
    camera: str,
) -> str:
    recording = await visible_recording(session, principal, recording_id)
    inits, segments = await track_objects(session, recording_id=recording.id, camera=camera)
    if not inits and recording.status != "recording":
        raise NotFound("this camera has no footage in the recording")
    base = f"/api/v1/recordings/{recording.id}/cameras/{camera}/segments/"
    subject = link_subject(principal)

    def link(name: str) -> str:
        return f"segments/{name}?{signer.query(base + name, subject=subject)}"

    gaps = [
        PlaylistGap(gap.id, gap.started_at, gap.ended_at, gap.reason)
        for gap in await recording_gaps(session, recording_id=recording.id)
        if gap.camera in (None, camera)
    ]
    return render_media_playlist(
        playlist_items(inits, segments, link),
        ended=recording.status != "recording",
        playlist_type="EVENT",
        gaps=gaps,
    )


def object_name(item: InitSegment | Segment) -> str:
    return str(parse_object_key(item.object_key).name)


def playlist_items(
    inits: Sequence[InitSegment], segments: Sequence[Segment], link: Callable[[str], str]
) -> list[PlaylistSegment]:
    """Playlist entries for the segments whose init segment is stored (in the given order)."""
    init_names = {init.epoch: object_name(init) for init in inits}
    return [
        PlaylistSegment(
            uri=link(object_name(segment)),
            duration_s=segment.duration_s,
            program_date_time=segment.started_at,
            init_uri=link(init_names[segment.epoch]),
            discontinuity=segment.discontinuity,
        )
        for segment in segments
        if segment.epoch in init_names
    ]
