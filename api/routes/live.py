"""Live HLS for audiences of any size: a sliding window over the segments being recorded.

The same segments the recorder stores, so live viewing costs the server one
playlist per poll and a redirect or a file per segment, whatever the audience.
Public and code holders see the broadcast: only segments that ended at least
the broadcast delay ago, and nothing at all once the court cuts the feed.
The playlist and every segment go through the live rule (court/in_session.py):
segment links are signed for the viewer they were handed to and judged again
as that viewer on each fetch, so nothing is served once the hearing is no
longer its courtroom's hearing in session.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, HTTPException, Request, Response, status
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.archive_links import HLS, playlist_items, stored_object_response
from api.deps import RuntimeDep, SessionDep
from api.viewer_access import NOT_FOUND, judge_subject, renew_ticket, viewer_access
from storage.catalog import track_objects
from storage.models import Hearing, Recording
from streaming.hls import render_media_playlist

router = APIRouter(prefix="/live", tags=["live"])
LIVE_WINDOW = 6  # segments (~12 s): enough for players to buffer, short enough to stay live


async def latest_recording(session: AsyncSession, hearing_id: str, missing: str) -> Recording:
    """The hearing's current (or last) recording: what live viewers are shown."""
    recording = await session.scalar(
        select(Recording)
        .where(Recording.hearing_id == hearing_id)
        .order_by(Recording.started_at.desc())
        .limit(1)
    )
    if recording is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, missing)
    return recording


@router.get("/{hearing_id}/{camera}/playlist.m3u8")
async def live_playlist(
    hearing_id: str, camera: str, request: Request, session: SessionDep, runtime: RuntimeDep
) -> Response:
    access = await viewer_access(request, session, runtime, hearing_id, hls=True)
    recording = await latest_recording(session, hearing_id, "the hearing has not started")
    inits, segments = await track_objects(session, recording_id=recording.id, camera=camera)
    if not access.real_time:
        delay = (await runtime.broadcasts.state(session, hearing_id)).delay_s
        edge = datetime.now(UTC) - timedelta(seconds=delay)
        segments = [s for s in segments if s.started_at + timedelta(seconds=s.duration_s) <= edge]
    window, before = segments[-LIVE_WINDOW:], segments[:-LIVE_WINDOW]
    base = f"/live/{hearing_id}/{camera}/segments/"

    def link(name: str) -> str:
        return f"segments/{name}?{runtime.signer.query(base + name, subject=access.subject)}"

    text = render_media_playlist(
        playlist_items(inits, window, link),
        ended=recording.status != "recording",
        media_sequence=window[0].sequence - 1 if window else 0,
        discontinuity_sequence=sum(1 for s in before if s.discontinuity),
    )
    response = Response(text, media_type=HLS, headers={"Cache-Control": "no-cache"})
    renew_ticket(runtime, response, access)
    return response


@router.get("/{hearing_id}/{camera}/segments/{name}", response_model=None)
async def live_segment(
    hearing_id: str,
    camera: str,
    name: str,
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    exp: str | None = None,
    sub: str | None = None,
    sig: str | None = None,
) -> Response:
    """Only by a link from a live playlist, judged again as the viewer it was handed to."""
    subject = runtime.signer.subject(request.url.path, exp, sub, sig)
    if subject is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "a link from a live playlist is required")
    hearing = await session.get(Hearing, hearing_id)
    if hearing is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    await judge_subject(session, runtime, hearing, subject)
    recording = await latest_recording(session, hearing_id, "no such segment")
    return await stored_object_response(
        session, runtime, recording_id=recording.id, camera=camera, name=name
    )
