"""Turning indexed segments into what players fetch: playlist entries and object responses.

Shared by the archive playlists (judges) and the live playlists (the public),
which differ only in which segments they list and how links are signed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from fastapi import HTTPException, status
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from api.runtime import Runtime
from recorder.records import content_type_of
from storage.catalog import track_objects
from storage.models import InitSegment, Segment
from streaming.hls import PlaylistSegment

HLS = "application/vnd.apple.mpegurl"


def object_name(item: InitSegment | Segment) -> str:
    return item.object_key.rsplit("/", 1)[1]


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


async def stored_object_response(
    session: AsyncSession, runtime: Runtime, *, recording_id: str, camera: str, name: str
) -> Response:
    """The named init or media segment: a redirect to a presigned URL, or the bytes."""
    inits, segments = await track_objects(session, recording_id=recording_id, camera=camera)
    every: list[InitSegment | Segment] = [*inits, *segments]
    found = next((item for item in every if object_name(item) == name), None)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such segment")
    url = await runtime.store.presigned_get_url(found.object_key, expires_s=3600)
    if url is not None:
        return RedirectResponse(url, status.HTTP_307_TEMPORARY_REDIRECT)
    return StreamingResponse(
        runtime.store.stream(found.object_key),
        media_type=content_type_of(name),
        headers={
            "Content-Length": str(found.size),
            "Cache-Control": "private, max-age=31536000, immutable",
        },
    )
