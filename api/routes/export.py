"""Certified clips for judges and clerks: a time range of one camera as an MP4 and its proof.

`export.mp4` is the clip itself, remuxed from the archived segments (no
transcoding); `export.json` is the signed statement of where it came from
(format `courtcast-clip/2`): the source objects (the init segment, then each media
segment) with the SHA-256 of the bytes read from the store, the recording's
manifest they were checked against (key, SHA-256, version, signing key id), and
the clip's own SHA-256. Both are computed from the archive on each request, so
the same range always gives the same bytes. Work happens in temporary files: a
clip may run to hours of footage.

Only a stopped recording is exported: its footage is certified against the
manifest signed when it stops, and a running one has none yet (409). When the
archive no longer matches that manifest the request ends with 409 and an
`export_refused` audit entry, before any clip byte is sent or anything is signed.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from api.clip_names import clip_name, content_disposition
from api.deps import RuntimeDep, SessionDep, SettingsDep, Staff, requester
from api.time_range import BoundedDatetime
from court.exports import Cut, cut_clip, statement
from court.principals import Principal
from court.runtime import Runtime

router = APIRouter(prefix="/api/v1/recordings", tags=["export"])
From = Annotated[BoundedDatetime, Query(alias="from", description="wall-clock start, ISO 8601")]
To = Annotated[BoundedDatetime, Query(alias="to", description="wall-clock end, ISO 8601")]


async def _cut(
    session: SessionDep,
    request: Request,
    runtime: Runtime,
    principal: Principal,
    recording_id: str,
    camera: str,
    span: tuple[BoundedDatetime, BoundedDatetime],
    workdir: Path,
) -> Cut:
    return await cut_clip(
        session,
        runtime.evidence,
        requester(request, principal),
        recording_id=recording_id,
        camera=camera,
        start=span[0],
        end=span[1],
        workdir=workdir,
    )


@router.get("/{recording_id}/cameras/{camera}/export.mp4")
async def export_clip(
    recording_id: str,
    camera: str,
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    settings: SettingsDep,
    principal: Staff,
    start: From,
    end: To,
) -> Response:
    workdir = Path(tempfile.mkdtemp(prefix="courtcast-clip-"))
    try:
        cut = await _cut(
            session, request, runtime, principal, recording_id, camera, (start, end), workdir
        )
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    clip = cut.clip
    name = clip_name(
        case_number=cut.case_number or recording_id,
        camera=camera,
        starts_at=clip.starts_at,
        zone=ZoneInfo(settings.court_timezone),
    )
    exported = cut.exported(start=start, end=end)
    return FileResponse(
        clip.path,
        media_type="video/mp4",
        headers={
            "Content-Disposition": content_disposition(name),
            "X-Courtcast-Clip-SHA256": clip.sha256,
            "X-Courtcast-Requested-From": start.isoformat(),
            "X-Courtcast-Requested-To": end.isoformat(),
            "X-Courtcast-Exported-From": exported["from"],
            "X-Courtcast-Exported-To": exported["to"],
            "X-Courtcast-Exported-Reason": exported["reason"],
        },
        background=BackgroundTask(shutil.rmtree, workdir, ignore_errors=True),
    )


@router.get("/{recording_id}/cameras/{camera}/export.json")
async def export_certificate(
    recording_id: str,
    camera: str,
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: Staff,
    start: From,
    end: To,
) -> Response:
    with tempfile.TemporaryDirectory(prefix="courtcast-clip-") as temp:
        cut = await _cut(
            session, request, runtime, principal, recording_id, camera, (start, end), Path(temp)
        )
    document = statement(cut, camera=camera, start=start, end=end)
    return Response(runtime.keyring.seal(document), media_type="application/json")
