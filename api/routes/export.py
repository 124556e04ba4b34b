"""Certified clips for judges and clerks: a time range of one camera as an MP4 and its proof.

`export.mp4` is the clip itself, remuxed from the archived segments (no
transcoding); `export.json` is the signed statement of where it came from: the
source segments with the SHA-256 values the recording's manifest signed, and
the clip's own SHA-256. Both are computed from the archive on each request, so
the same range always gives the same bytes. Work happens in temporary files:
a clip may run to hours of footage.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response, status
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from api.auth import Principal
from api.deps import RuntimeDep, SessionDep, Staff
from api.runtime import Runtime
from api.time_range import BoundedDatetime
from api.visibility import visible_recording
from recorder.export import Clip, SourceSegment, covering, remux_clip
from storage.catalog import track_objects
from storage.models import Recording

router = APIRouter(prefix="/api/v1/recordings", tags=["export"])
CLIP_FORMAT = "courtcast-clip/1"
MAX_CLIP_S = 4 * 3600
From = Annotated[BoundedDatetime, Query(alias="from", description="wall-clock start, ISO 8601")]
To = Annotated[BoundedDatetime, Query(alias="to", description="wall-clock end, ISO 8601")]


async def _cut(
    session: SessionDep,
    runtime: Runtime,
    principal: Principal,
    recording_id: str,
    camera: str,
    start: datetime,
    end: datetime,
    workdir: Path,
) -> tuple[Recording, Clip, list[SourceSegment]]:
    recording = await visible_recording(session, principal, recording_id)
    if (end - start).total_seconds() > MAX_CLIP_S:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, "a clip is at most 4 hours")
    inits, segments = await track_objects(session, recording_id=recording_id, camera=camera)
    try:
        chosen = [
            segments[i]
            for i in covering(
                [s.started_at for s in segments],
                [s.duration_s for s in segments],
                start=start,
                end=end,
            )
        ]
    except ValueError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, str(error)) from error
    if len({segment.epoch for segment in chosen}) > 1:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            "the range crosses a change of camera or picture size: export each side separately",
        )
    init = next(i for i in inits if i.epoch == chosen[0].epoch)
    archive = workdir / "archive.mp4"
    with open(archive, "wb") as file:
        for key in [init.object_key, *(s.object_key for s in chosen)]:
            async for chunk in runtime.store.stream(key):
                file.write(chunk)
    clip = await asyncio.to_thread(
        remux_clip, archive, chosen[0].started_at, end=end, output=workdir / "clip.mp4"
    )
    sources = [SourceSegment(s.object_key, s.sha256, s.started_at) for s in chosen]
    return recording, clip, sources


@router.get("/{recording_id}/cameras/{camera}/export.mp4")
async def export_clip(
    recording_id: str,
    camera: str,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: Staff,
    start: From,
    end: To,
) -> Response:
    workdir = Path(tempfile.mkdtemp(prefix="courtcast-clip-"))
    try:
        cut = await _cut(session, runtime, principal, recording_id, camera, start, end, workdir)
        clip = cut[1]
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    name = f"{recording_id}-{camera}-{clip.starts_at:%Y%m%dT%H%M%SZ}.mp4"
    return FileResponse(
        clip.path,
        media_type="video/mp4",
        filename=name,
        headers={"X-Courtcast-Clip-SHA256": clip.sha256},
        background=BackgroundTask(shutil.rmtree, workdir, ignore_errors=True),
    )


@router.get("/{recording_id}/cameras/{camera}/export.json")
async def export_certificate(
    recording_id: str,
    camera: str,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: Staff,
    start: From,
    end: To,
) -> Response:
    with tempfile.TemporaryDirectory(prefix="courtcast-clip-") as temp:
        recording, clip, sources = await _cut(
            session, runtime, principal, recording_id, camera, start, end, Path(temp)
        )
    statement = {
        "format": CLIP_FORMAT,
        "recording_id": recording.id,
        "hearing_id": recording.hearing_id,
        "camera": camera,
        "requested": {"from": start.isoformat(), "to": end.isoformat()},
        "clip": {
            "sha256": clip.sha256,
            "bytes": clip.size,
            "starts_at": clip.starts_at.isoformat(),
            "duration_s": round(clip.duration_s, 3),
            "video_frames": clip.video_frames,
        },
        "sources": [{"key": s.key, "sha256": s.sha256} for s in sources],
        "recording_manifest_sha256": recording.manifest_sha256,
    }
    return Response(runtime.keyring.seal(statement), media_type="application/json")
