"""Live HLS for audiences of any size: a sliding window over the segments being recorded.

The same segments the recorder stores, so live viewing costs the server one
playlist per poll and a redirect or a file per segment, whatever the audience.
Public and code holders see the broadcast: only segments that ended at least
the broadcast delay ago, and nothing at all once the court cuts the feed.
The playlist and every segment go through the live rule (court/in_session.py):
segment links are signed for the viewer they were handed to and judged again
as that viewer on each fetch, so nothing is served once the hearing is no
longer its courtroom's hearing in session.

Low-latency HLS. The node recording the camera (the courtroom's holder) also
lists the growing segment's fragments as parts (`ll/` names, from memory) to
viewers at the live edge: staff, and everyone while the broadcast has no delay
(with a delay, parts are never shown: the stored segments old enough are).
A request reaching another node (or worker, behind one shared port) while the
recording runs is forwarded to the holder (api/holder.py), not redirected: a
307 to a worker's own port would be cross-origin for hls.js, and caches keep
seeing one URL. A holder without parts (a VP8 camera) answers segments.
`_HLS_msn`/`_HLS_part` park the request (no database connection held) until
that part exists, three target durations at most, then judge the viewer again.

The program feed. While the court runs one (court/program.py), viewers who are not staff
watch `program` (the recording's track of what the public is shown) and no camera; the rule
is judged where the program runs, after a request is forwarded to the holder.

Caching. A public hearing's parts and blocking playlists carry no per-viewer
signature, so any HTTP cache can share them (`public, max-age` of three target
durations; the plain playlist is `no-cache`). What a cached URL gives an
attacker is only what was broadcast to everyone when it was fetched, for at
most that long: every origin fetch judges again (sealed: 404, not in session:
404, kill switch: 403, restricted: the code), so nothing recorded after a kill
switch, a sealing or a change to restricted ever leaves the server. Restricted
hearings and staff get per-viewer signed links and `Cache-Control: private`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status

from api.archive_links import HLS, stored_object_response
from api.deps import RuntimeDep, SessionDep, SettingsDep
from api.holder import at_holder
from api.viewer_access import renew_ticket, viewer_access
from court.live.live_hls import (
    BLOCK_TARGETS,
    NO_SUCH_SEGMENT,
    NOT_STARTED,
    blocking_position,
    latest_recording,
    live_bytes,
    live_window,
    low_latency_playlist,
    part_name,
    parts_shown,
)
from court.live.live_parts import PartTrack
from court.live.viewer_access import Access, judge_subject, require_program_or_camera
from court.playlist_entries import playlist_items
from court.program import PROGRAM
from court.runtime import Runtime
from storage.models import Recording
from streaming.hls import render_media_playlist

router = APIRouter(prefix="/live", tags=["live"])
NO_SUCH_PART = "no such part"
SIGNATURE_PERIOD_S = 3600  # links signed within the same hour are the same URL
_Link = Callable[[str], str]


def _judged_link(unsigned: str | None) -> Callable[..., Awaitable[Access]]:
    """A dependency: the viewer a live link was handed to, judged again now. `unsigned`: who
    a link without a signature stands for (None: nobody, 401)."""

    async def judged(
        hearing_id: str,
        request: Request,
        session: SessionDep,
        runtime: RuntimeDep,
        settings: SettingsDep,
        exp: str | None = None,
        sub: str | None = None,
        sig: str | None = None,
    ) -> Access:
        subject = runtime.signer.subject(request.url.path, exp, sub, sig) if sig else unsigned
        if subject is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED, "a link from a live playlist is required"
            )
        return await judge_subject(
            session, runtime, hearing_id, subject, admin_token=settings.admin_token
        )

    return judged


SignedLink = Annotated[Access, Depends(_judged_link(None))]
SharedLink = Annotated[Access, Depends(_judged_link("public"))]  # parts: public when unsigned


@router.get("/{hearing_id}/{camera}/playlist.m3u8")
async def live_playlist(
    hearing_id: str,
    camera: str,
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    settings: SettingsDep,
    msn: Annotated[int | None, Query(alias="_HLS_msn")] = None,
    part: Annotated[int | None, Query(alias="_HLS_part")] = None,
) -> Response:
    access = await viewer_access(
        request, session, runtime, hearing_id, admin_token=settings.admin_token, hls=True
    )
    recording = await latest_recording(session, hearing_id, NOT_STARTED)
    track = await _parts_here(request, runtime, recording, camera)
    require_program_or_camera(runtime.program, access, camera)  # judged where the program is
    delay = (await runtime.broadcasts.state(session, hearing_id)).delay_s
    if track is None or not parts_shown(access.real_time, delay):
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
        response = Response(text, media_type=HLS, headers={"Cache-Control": _fresh(access)})
        renew_ticket(runtime, response, access)
        return response
    try:
        position = blocking_position(msn, part, track)
    except ValueError as error:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(error)) from error
    target_s = runtime.recordings.plan.segment_s
    answered = False  # with the part asked for: the same answer for everyone who asks
    if position is not None:
        await session.commit()  # park without holding a database connection
        answered = await track.wait(*position, timeout_s=BLOCK_TARGETS * target_s)
        await judge_subject(  # the kill switch or a sealing may have come meanwhile
            session, runtime, hearing_id, access.subject, admin_token=settings.admin_token
        )
    playlist = low_latency_playlist(
        track,
        _ll_link(runtime, access, hearing_id, camera),
        fragment_s=runtime.recordings.live_parts.fragment_s,
        target_s=target_s,
    )
    text = render_media_playlist(
        playlist.items,
        ended=playlist.ended,
        media_sequence=playlist.media_sequence,
        discontinuity_sequence=playlist.discontinuity_sequence,
        low_latency=playlist.low_latency,
    )
    cache = _cache_control(access, target_s) if answered else _fresh(access)
    response = Response(text, media_type=HLS, headers={"Cache-Control": cache})
    renew_ticket(runtime, response, access)
    return response


async def _parts_here(
    request: Request, runtime: Runtime, recording: Recording, camera: str
) -> PartTrack | None:
    """This node's parts of the camera. A running recording held by another node (or
    worker) sends the request there (api/holder.py forwards it, so the browser stays on one
    origin and caches see one URL); a node holding it without parts answers segments."""
    track = runtime.recordings.live_parts.track(recording.id, camera)
    if track is None and recording.status == "recording":
        await at_holder(request, runtime, recording.courtroom_id, redirect=False, take=False)
    return track


def _ll_link(runtime: Runtime, access: Access, hearing_id: str, camera: str) -> _Link:
    """Shared URLs for the public; signed per viewer (stable for the hour) for the others."""
    if access.kind == "public":
        return lambda name: f"ll/{name}"
    base = f"/live/{hearing_id}/{camera}/ll/"
    signed_at = math.floor(time.time() / SIGNATURE_PERIOD_S) * SIGNATURE_PERIOD_S
    return lambda name: (
        f"ll/{name}?{runtime.signer.query(base + name, subject=access.subject, now=signed_at)}"
    )


def _fresh(access: Access) -> str:
    """A playlist that changes: asked again each time, and kept by no shared cache unless it
    is the public's."""
    return "no-cache" if access.kind == "public" else "private, no-cache"


def _cache_control(access: Access, target_s: float) -> str:
    """Immutable once answered: any cache may keep it for three target durations, unless it
    is for one viewer only."""
    scope = "public" if access.kind == "public" else "private"
    return f"{scope}, max-age={math.ceil(BLOCK_TARGETS * target_s)}"


@router.get("/{hearing_id}/{camera}/ll/{name}")
async def live_part(
    hearing_id: str,
    camera: str,
    name: str,
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    settings: SettingsDep,
    access: SharedLink,
) -> Response:
    """A part, a whole recent segment or an init, from memory; a hinted part not there yet
    is waited for. Unsigned links are judged as the public, signed ones as their viewer."""
    recording = await latest_recording(session, hearing_id, NO_SUCH_PART)
    track = await _parts_here(request, runtime, recording, camera)
    require_program_or_camera(runtime.program, access, camera)
    delay = (await runtime.broadcasts.state(session, hearing_id)).delay_s
    parsed = part_name(name)
    if track is None or parsed is None or not parts_shown(access.real_time, delay):
        raise HTTPException(status.HTTP_404_NOT_FOUND, NO_SUCH_PART)
    kind, number, index = parsed
    target_s = runtime.recordings.plan.segment_s
    if kind == "part" and not track.reached(number, index):
        try:
            blocking_position(number, index, track)
        except ValueError as error:
            raise HTTPException(status.HTTP_404_NOT_FOUND, NO_SUCH_PART) from error
        await session.commit()  # park without holding a database connection
        await track.wait(number, index, timeout_s=BLOCK_TARGETS * target_s)
        await judge_subject(
            session, runtime, hearing_id, access.subject, admin_token=settings.admin_token
        )
    data = live_bytes(track, kind, number, index)
    if data is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NO_SUCH_PART)
    return Response(
        data, media_type="video/mp4", headers={"Cache-Control": _cache_control(access, target_s)}
    )


@router.get("/{hearing_id}/{camera}/segments/{name}", response_model=None)
async def live_segment(
    hearing_id: str,
    camera: str,
    name: str,
    session: SessionDep,
    runtime: RuntimeDep,
    access: SignedLink,
) -> Response:
    """Only by a link from a live playlist, judged again as the viewer it was handed to. A
    camera's link handed out before the court put a program on air stops working then (the
    program's own links were handed out by a playlist judged where the program runs)."""
    if camera != PROGRAM:
        require_program_or_camera(runtime.program, access, camera)
    recording = await latest_recording(session, hearing_id, NO_SUCH_SEGMENT)
    return await stored_object_response(
        session, runtime, recording_id=recording.id, camera=camera, name=name
    )
