"""Recordings: search, stop, inspect, play back (HLS) and mark."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import Response

from api.archive_links import HLS, stored_object_response
from api.deps import Marking, Operator, RuntimeDep, SessionDep, SettingsDep, Staff
from api.holder import RecordingAtHolder, at_holder
from api.recording_view import recording_out
from api.schemas.recordings import (
    MarkerIn,
    MarkerOut,
    RecordingOut,
    RecordingPage,
    RecordingSummary,
)
from api.search_params import SearchQuery, run_search
from court import markers
from court.playback import archive_playlist, segments_path
from court.principals import STAFF_ROLES, bearer_secret, link_or_bearer_principal
from court.program import OFF_RECORD_MARKERS
from court.recordings import stop_for
from court.visibility import visible_recording
from storage.search import search_recordings

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
    recording_id: str,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: Staff,
    _: RecordingAtHolder,  # which cameras are publishing is known where the courtroom is held
) -> RecordingOut:
    return await recording_out(
        session, runtime, await visible_recording(session, principal, recording_id)
    )


@router.post("/{recording_id}/stop", response_model=RecordingOut)
async def stop_recording(
    recording_id: str,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: Operator,
    _: RecordingAtHolder,
) -> RecordingOut:
    recording = await stop_for(session, principal, runtime.recordings, recording_id)
    return await recording_out(session, runtime, recording)


@router.get("/{recording_id}/cameras/{camera}/playlist.m3u8")
async def recording_playlist(
    recording_id: str, camera: str, session: SessionDep, runtime: RuntimeDep, principal: Staff
) -> Response:
    """Its segment links are signed for the caller's token: they die when it is revoked."""
    text = await archive_playlist(
        session,
        principal,
        runtime.signer,
        runtime.playlists,
        recording_id=recording_id,
        camera=camera,
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
    principal = await link_or_bearer_principal(
        session,
        subject=runtime.signer.subject(segments_path(recording_id, camera), exp, sub, sig),
        secret=bearer_secret(request.headers.get("authorization")),
        admin_token=settings.admin_token,
    )
    if principal is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "a signed link or a bearer token is required"
        )
    if principal.role not in STAFF_ROLES:  # cameras publish, screens show live hearings
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, f"the {principal.role} role may not read the archive"
        )
    request.state.principal = principal  # for the audit trail
    await visible_recording(session, principal, recording_id)
    return await stored_object_response(
        session, runtime, recording_id=recording_id, camera=camera, name=name
    )


@router.post(
    "/{recording_id}/markers", status_code=status.HTTP_201_CREATED, response_model=MarkerOut
)
async def add_marker(
    recording_id: str,
    body: MarkerIn,
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: Marking,
) -> MarkerOut:
    """An off-record marker also puts the room's program feed on the slate, or takes it off:
    it is written where the room is held, which is where the program is switched."""
    recording = await visible_recording(session, principal, recording_id)
    await at_holder(request, runtime, recording.courtroom_id, redirect=False, take=False)
    marker = await markers.add_marker(
        session, principal, recording.id, at=body.at, kind=body.kind, text=body.text
    )
    if marker.kind in OFF_RECORD_MARKERS:
        await runtime.program.follow_record(session, recording.courtroom_id)
    return MarkerOut.model_validate(marker, from_attributes=True)


@router.get("/{recording_id}/markers", response_model=list[MarkerOut])
async def list_markers(recording_id: str, session: SessionDep, principal: Staff) -> list[MarkerOut]:
    """In time order, so a player can lay them on its timeline."""
    found = await markers.markers(session, principal, recording_id)
    return [MarkerOut.model_validate(marker, from_attributes=True) for marker in found]
