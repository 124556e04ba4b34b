"""Replays of closed hearings (court/replays.py): published by operators, watched by anyone
(public hearings) or by code holders (restricted ones) as HLS with the off-record periods cut.

`/replay/{hearing_id}/{camera}/playlist.m3u8` lists the kept segments of every recording of
the hearing; a public replay's links are plain and cacheable, a restricted one's are signed
for the code that asked (judged again on every segment). Each request is judged again: a
replay withdrawn, expired, or of a hearing sealed since, answers 404 like an unknown hearing.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from api.access_codes import presented, renew
from api.archive_links import HLS, stored_object_response
from api.deps import OperatedHearing, Operator, RuntimeDep, SessionDep
from court.errors import NotFound, Unauthorized
from court.in_session import valid_codes
from court.live.access_codes import CodePass
from court.live.viewer_access import require_camera
from court.playback_cache import LINK_QUERY
from court.replay_playlists import rendered_replay
from court.replays import (
    MAX_DAYS,
    Cut,
    publish_replay,
    published_replay,
    replay_holds,
    withdraw_replay,
)
from court.runtime import Runtime
from storage.keys import parse_object_name
from storage.models import Courtroom, Hearing
from storage.replay_models import Replay

router = APIRouter(tags=["replays"])
CODE_NEEDED = "this replay is restricted: enter the access code the court gave you"
NO_SUCH_SEGMENT = "no such segment"


class ReplayIn(BaseModel):
    days: int = Field(ge=1, le=MAX_DAYS, description="how long it may be watched")


class CutOut(BaseModel):
    start: datetime
    end: datetime
    reason: str
    removed_s: float  # footage left out for it, whole segments from keyframe to keyframe


class PublicReplayOut(BaseModel):
    """What a viewer is told of a replay (nothing of who published it)."""

    audience: str  # public, or codes
    expires_at: datetime
    cameras: list[str]
    cuts: list[CutOut]  # of the first camera (every camera is cut at the same periods)


class ReplayOut(PublicReplayOut):
    hearing_id: str
    published_at: datetime
    published_by: str | None
    withdrawn_at: datetime | None


async def public_replay_out(
    session: AsyncSession, runtime: Runtime, hearing: Hearing, replay: Replay
) -> PublicReplayOut:
    courtroom = await session.get(Courtroom, hearing.courtroom_id)
    assert courtroom is not None  # foreign key
    cameras = [camera.name for camera in courtroom.cameras]
    cuts: tuple[Cut, ...] = ()
    if cameras:
        cuts = (await rendered_replay(session, hearing, cameras[0], runtime.replays)).cuts
    return PublicReplayOut(
        audience=replay.audience,
        expires_at=replay.expires_at,
        cameras=cameras,
        cuts=[CutOut.model_validate(cut, from_attributes=True) for cut in cuts],
    )


async def replay_out(
    session: AsyncSession, runtime: Runtime, hearing: Hearing, replay: Replay
) -> ReplayOut:
    shown = await public_replay_out(session, runtime, hearing, replay)
    return ReplayOut(
        **shown.model_dump(),
        hearing_id=hearing.id,
        published_at=replay.published_at,
        published_by=replay.published_by,
        withdrawn_at=replay.withdrawn_at,
    )


@router.put("/api/v1/hearings/{hearing_id}/replay", response_model=ReplayOut)
async def publish(
    body: ReplayIn,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: Operator,
    hearing: OperatedHearing,
) -> ReplayOut:
    """Publish a closed hearing for replay for `days` days (again: new terms): to anyone if it
    is public, to its code holders if restricted; a sealed hearing never (409)."""
    replay = await publish_replay(session, principal, hearing, days=body.days)
    return await replay_out(session, runtime, hearing, replay)


@router.delete("/api/v1/hearings/{hearing_id}/replay", status_code=status.HTTP_204_NO_CONTENT)
async def withdraw(session: SessionDep, _: Operator, hearing: OperatedHearing) -> Response:
    """Withdrawn at once: its playlist and segments answer 404 from the next request."""
    await withdraw_replay(session, hearing)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


async def watcher(
    request: Request, session: AsyncSession, runtime: Runtime, hearing_id: str
) -> tuple[Hearing, Replay, CodePass | None]:
    """The replay and, for a restricted one, the code the caller watches with (its ticket or
    `?code=`); refusals as on live routes (401 for no code, 403 for a refused one)."""
    hearing, replay = await published_replay(session, hearing_id)
    if replay.audience == "public":
        return hearing, replay, None
    code_pass = await runtime.access_codes.present(
        session, presented(request, hearing_id), hearing_id, hls=True
    )
    if code_pass is None:
        raise Unauthorized(CODE_NEEDED)
    return hearing, replay, code_pass


@router.get("/api/v1/public/hearings/{hearing_id}/replay", response_model=PublicReplayOut)
async def public_replay(
    hearing_id: str, request: Request, session: SessionDep, runtime: RuntimeDep
) -> PublicReplayOut:
    """The replay's terms, cameras and cuts (where and why footage was left out)."""
    hearing, replay, _ = await watcher(request, session, runtime, hearing_id)
    return await public_replay_out(session, runtime, hearing, replay)


def segments_folder(hearing_id: str, camera: str) -> str:
    return f"/replay/{hearing_id}/{camera}/segments/"


@router.get("/replay/{hearing_id}/{camera}/playlist.m3u8")
async def replay_playlist(
    hearing_id: str, camera: str, request: Request, session: SessionDep, runtime: RuntimeDep
) -> Response:
    hearing, _, code_pass = await watcher(request, session, runtime, hearing_id)
    await require_camera(session, hearing, camera)
    rendered = await rendered_replay(session, hearing, camera, runtime.replays)
    query = ""
    if code_pass is not None:
        folder = segments_folder(hearing_id, camera)
        query = "?" + runtime.signer.query(folder, subject=f"code:{code_pass.code_id}")
    body = rendered.playlist.replace(LINK_QUERY, query)
    private = code_pass is not None
    response = Response(
        body,
        media_type=HLS,
        headers={"Cache-Control": "private, no-cache" if private else "public, max-age=10"},
    )
    if code_pass is not None:  # the holder keeps a fresh ticket, as a live viewer does
        renew(runtime.access_codes, response, code_pass, hearing_id)
    return response


@router.get("/replay/{hearing_id}/{camera}/segments/{recording_id}/{name}", response_model=None)
async def replay_segment(
    hearing_id: str,
    camera: str,
    recording_id: str,
    name: str,
    session: SessionDep,
    runtime: RuntimeDep,
    exp: str | None = None,
    sub: str | None = None,
    sig: str | None = None,
) -> Response:
    """A kept init or media segment of the replay; a cut one is 404 like one that never was."""
    hearing, replay = await published_replay(session, hearing_id)
    if replay.audience != "public":
        subject = runtime.signer.subject(segments_folder(hearing_id, camera), exp, sub, sig)
        kind, _, code_id = (subject or "").partition(":")
        codes = await valid_codes(session, [code_id]) if kind == "code" else {}
        if code_id not in codes or not codes[code_id].opens(hearing):
            raise Unauthorized("a link from the replay's playlist is required")
    try:
        wanted = parse_object_name(name)
    except ValueError as bad:
        raise NotFound(NO_SUCH_SEGMENT) from bad
    if not await replay_holds(session, hearing, camera, recording_id, wanted):
        raise NotFound(NO_SUCH_SEGMENT)
    return await stored_object_response(
        session, runtime, recording_id=recording_id, camera=camera, name=name
    )
