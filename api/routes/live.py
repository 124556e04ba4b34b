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

from fastapi import APIRouter, HTTPException, Request, Response, status

from api.archive_links import HLS, stored_object_response
from api.deps import RuntimeDep, SessionDep, SettingsDep
from api.viewer_access import renew_ticket, viewer_access
from court.live.live_hls import NO_SUCH_SEGMENT, latest_recording, live_window
from court.live.viewer_access import judge_subject
from court.playback import playlist_items
from streaming.hls import render_media_playlist

router = APIRouter(prefix="/live", tags=["live"])


@router.get("/{hearing_id}/{camera}/playlist.m3u8")
async def live_playlist(
    hearing_id: str,
    camera: str,
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    settings: SettingsDep,
) -> Response:
    access = await viewer_access(
        request, session, runtime, hearing_id, admin_token=settings.admin_token, hls=True
    )
    live = await live_window(
        session, runtime.broadcasts, hearing_id, camera, real_time=access.real_time
    )
    base = f"/live/{hearing_id}/{camera}/segments/"

    def link(name: str) -> str:
        return f"segments/{name}?{runtime.signer.query(base + name, subject=access.subject)}"

    text = render_media_playlist(
        playlist_items(live.inits, live.window, link),
        ended=live.recording.status != "recording",
        media_sequence=live.media_sequence,
        discontinuity_sequence=live.discontinuity_sequence,
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
    settings: SettingsDep,
    exp: str | None = None,
    sub: str | None = None,
    sig: str | None = None,
) -> Response:
    """Only by a link from a live playlist, judged again as the viewer it was handed to."""
    subject = runtime.signer.subject(request.url.path, exp, sub, sig)
    if subject is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "a link from a live playlist is required")
    await judge_subject(session, runtime, hearing_id, subject, admin_token=settings.admin_token)
    recording = await latest_recording(session, hearing_id, NO_SUCH_SEGMENT)
    return await stored_object_response(
        session, runtime, recording_id=recording.id, camera=camera, name=name
    )
