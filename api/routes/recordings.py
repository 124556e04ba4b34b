"""Recordings: search, stop, inspect, play back (HLS) and mark."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import Response
from sqlalchemy import select

from api.archive_links import HLS, playlist_items, stored_object_response
from api.deps import Operator, RuntimeDep, SessionDep, SettingsDep, Staff
from api.recording_view import recording_out
from api.schemas import MarkerIn, MarkerOut, RecordingOut, RecordingPage, RecordingSummary
from api.search_params import SearchQuery, run_search
from api.visibility import visible_recording
from court.principals import bearer_secret, find_principal, link_subject, principal_for_subject
from storage.catalog import recording_gaps, track_objects
from storage.models import Marker
from storage.search import search_recordings
from streaming.hls import PlaylistGap, render_media_playlist

router = APIRouter(prefix="/api/v1/recordings", tags=["recordings"])


@router.get("", response_model=RecordingPage)
async def list_recordings(
    session: SessionDep, principal: Staff, search: Annotated[SearchQuery, Query()]
) -> RecordingPage:
    """Newest first; `status` is the recording's (recording, stopped...), dates its start."""
    page = await run_search(search_recordings, session, search, principal)
    items = [RecordingSummary.model_validate(r, from_attributes=True) for r in page.items]
    return RecordingPage(items=items, next=page.next)


@router.get("/{recording_id}", response_model=RecordingOut)
async def get_recording(
    recording_id: str, session: SessionDep, runtime: RuntimeDep, principal: Staff
) -> RecordingOut:
    return await recording_out(
        session, runtime, await visible_recording(session, principal, recording_id)
    )


@router.post("/{recording_id}/stop", response_model=RecordingOut)
async def stop_recording(
    recording_id: str, session: SessionDep, runtime: RuntimeDep, principal: Operator
) -> RecordingOut:
    recording = await visible_recording(session, principal, recording_id)
    if not principal.may_use_courtroom(recording.courtroom_id):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this token may not use that courtroom")
    if recording.status == "recording":
        # Everything already received is segmented, stored and indexed before we answer.
        await runtime.recordings.stop_recording(recording.id)
        await session.refresh(recording)
    return await recording_out(session, runtime, recording)


@router.get("/{recording_id}/cameras/{camera}/playlist.m3u8")
async def recording_playlist(
    recording_id: str, camera: str, session: SessionDep, runtime: RuntimeDep, principal: Staff
) -> Response:
    """Its segment links are signed for the caller's token: they die when it is revoked."""
    recording = await visible_recording(session, principal, recording_id)
    inits, segments = await track_objects(session, recording_id=recording.id, camera=camera)
    if not inits and recording.status != "recording":
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, "this camera has no footage in the recording"
        )
    base = f"/api/v1/recordings/{recording.id}/cameras/{camera}/segments/"
    subject = link_subject(principal)

    def link(name: str) -> str:
        return f"segments/{name}?{runtime.signer.query(base + name, subject=subject)}"

    items = playlist_items(inits, segments, link)
    gaps = [
        PlaylistGap(gap.id, gap.started_at, gap.ended_at, gap.reason)
        for gap in await recording_gaps(session, recording_id=recording.id)
        if gap.camera in (None, camera)
    ]
    text = render_media_playlist(
        items, ended=recording.status != "recording", playlist_type="EVENT", gaps=gaps
    )
    return Response(text, media_type=HLS, headers={"Cache-Control": "no-cache"})


@router.get("/{recording_id}/cameras/{camera}/segments/{name}", response_model=None)
async def recording_object(
    recording_id: str,
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
    """An init or media segment: by signed link (players) or bearer token (scripts).

    A link is judged again as the token it was signed for, on every fetch."""
    admin_token = settings.admin_token
    subject = runtime.signer.subject(request.url.path, exp, sub, sig)
    secret = bearer_secret(request.headers.get("authorization"))
    principal = (
        await principal_for_subject(session, subject, admin_token=admin_token)
        if subject is not None
        else await find_principal(session, secret=secret, admin_token=admin_token)
        if secret
        else None
    )
    if principal is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "a signed link or a bearer token is required"
        )
    if principal.role == "camera":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "camera tokens may only publish")
    request.state.principal = principal  # for the audit trail
    await visible_recording(session, principal, recording_id)
    return await stored_object_response(
        session, runtime, recording_id=recording_id, camera=camera, name=name
    )


@router.post(
    "/{recording_id}/markers", status_code=status.HTTP_201_CREATED, response_model=MarkerOut
)
async def add_marker(
    recording_id: str, body: MarkerIn, session: SessionDep, principal: Staff
) -> MarkerOut:
    recording = await visible_recording(session, principal, recording_id)
    marker = Marker(
        recording_id=recording.id, at=body.at, kind=body.kind, text=body.text, author=principal.name
    )
    session.add(marker)
    await session.commit()
    return MarkerOut.model_validate(marker, from_attributes=True)


@router.get("/{recording_id}/markers", response_model=list[MarkerOut])
async def list_markers(recording_id: str, session: SessionDep, principal: Staff) -> list[MarkerOut]:
    """In time order, so a player can lay them on its timeline."""
    recording = await visible_recording(session, principal, recording_id)
    markers = await session.scalars(
        select(Marker).where(Marker.recording_id == recording.id).order_by(Marker.at, Marker.id)
    )
    return [MarkerOut.model_validate(marker, from_attributes=True) for marker in markers]
