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

import asyncio
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, NoReturn
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import FileResponse
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.background import BackgroundTask

from api.clip_names import clip_name, content_disposition
from api.deps import RuntimeDep, SessionDep, SettingsDep, Staff
from api.error_codes import refusal
from api.evidence_refusal import refuse_uncertifiable
from api.time_range import BoundedDatetime
from api.visibility import visible_recording
from court.principals import Principal
from court.runtime import Runtime
from recorder.evidence_sources import EvidenceMismatch, SignedRecording, signed_recording
from recorder.export import (
    Clip,
    CrossesEpochs,
    SourceObject,
    clip_objects,
    read_sources,
    remux_clip,
)
from storage.catalog import track_objects
from storage.models import Case, Hearing, Recording

router = APIRouter(prefix="/api/v1/recordings", tags=["export"])
CLIP_FORMAT = "courtcast-clip/2"
MAX_CLIP_S = 4 * 3600
KEYFRAME_BEFORE_START = "starts_at_keyframe_before_requested_start"
AS_REQUESTED = "starts_as_requested"
From = Annotated[BoundedDatetime, Query(alias="from", description="wall-clock start, ISO 8601")]
To = Annotated[BoundedDatetime, Query(alias="to", description="wall-clock end, ISO 8601")]


@dataclass(frozen=True, slots=True)
class Cut:
    """A clip and the proof of what it was cut from."""

    recording: Recording
    signed: SignedRecording
    clip: Clip
    sources: list[SourceObject]
    case_number: str

    def exported(self, *, start: datetime, end: datetime) -> dict[str, str]:
        """The range the clip holds against the one asked for, and why they differ.

        A clip can only begin on a keyframe, the first picture of the segment holding the
        requested start, so it usually begins a little before it; it ends with the last
        picture before the requested end.
        """
        began = self.clip.starts_at
        return {
            "from": began.isoformat(),
            "to": (began + timedelta(seconds=self.clip.duration_s)).isoformat(),
            "reason": KEYFRAME_BEFORE_START if began < start else AS_REQUESTED,
        }


async def _refuse(
    session: AsyncSession,
    request: Request,
    runtime: Runtime,
    principal: Principal,
    recording: Recording,
    camera: str,
    error: EvidenceMismatch,
) -> NoReturn:
    await refuse_uncertifiable(
        session,
        request,
        runtime,
        principal,
        action="export_refused",
        details={"recording_id": recording.id, "camera": camera},
        error=error,
        nothing_made="no clip is certified",
    )


async def _cut(
    session: SessionDep,
    request: Request,
    runtime: Runtime,
    principal: Principal,
    recording_id: str,
    camera: str,
    start: datetime,
    end: datetime,
    workdir: Path,
) -> Cut:
    recording = await visible_recording(session, principal, recording_id)
    if (end - start).total_seconds() > MAX_CLIP_S:
        raise refusal(
            status.HTTP_422_UNPROCESSABLE_ENTITY, "a clip is at most 4 hours", "clip_too_long"
        )
    if recording.status == "recording":
        raise refusal(
            status.HTTP_409_CONFLICT,
            "the recording is still running: clips are certified against the manifest "
            "signed when it stops, so export once it has stopped",
            "recording_running",
        )
    try:
        signed = await signed_recording(runtime.store, runtime.keyring.public_keys, recording)
    except EvidenceMismatch as error:
        await _refuse(session, request, runtime, principal, recording, camera, error)
    try:
        objects = clip_objects(signed.manifest, camera, start=start, end=end)
    except CrossesEpochs as error:
        raise refusal(status.HTTP_409_CONFLICT, str(error), "clip_crosses_change") from error
    except ValueError as error:
        raise refusal(status.HTTP_422_UNPROCESSABLE_ENTITY, str(error), "clip_range") from error
    inits, segments = await track_objects(session, recording_id=recording.id, camera=camera)
    # the object versions the index recorded: read those, not whatever was laid on top since
    versions = {i.object_key: i.version_id for i in inits} | {
        s.object_key: s.version_id for s in segments
    }
    archive = workdir / "archive.mp4"
    try:
        sources = await read_sources(
            runtime.store, signed, objects, versions=versions, output=archive
        )
    except EvidenceMismatch as error:
        await _refuse(session, request, runtime, principal, recording, camera, error)
    origin = datetime.fromisoformat(objects[1]["started_at"])  # the first media segment's
    try:
        clip = await asyncio.to_thread(
            remux_clip, archive, origin, end=end, output=workdir / "clip.mp4"
        )
    except ValueError as error:  # no picture before `end`
        raise refusal(
            status.HTTP_422_UNPROCESSABLE_ENTITY, str(error), "clip_no_picture"
        ) from error
    hearing = await session.get(Hearing, recording.hearing_id)
    case = await session.get(Case, hearing.case_id) if hearing is not None else None
    return Cut(recording, signed, clip, sources, case.number if case is not None else "")


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
            session, request, runtime, principal, recording_id, camera, start, end, workdir
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


def statement(cut: Cut, *, camera: str, start: datetime, end: datetime) -> dict[str, Any]:
    """What the court signs about a clip: the clip, each source as read, and the manifest."""
    recording, clip = cut.recording, cut.clip
    return {
        "format": CLIP_FORMAT,
        "recording_id": recording.id,
        "hearing_id": recording.hearing_id,
        "camera": camera,
        "requested": {"from": start.isoformat(), "to": end.isoformat()},
        "exported": cut.exported(start=start, end=end),
        "clip": {
            "sha256": clip.sha256,
            "bytes": clip.size,
            "starts_at": clip.starts_at.isoformat(),
            "duration_s": round(clip.duration_s, 3),
            "video_frames": clip.video_frames,
        },
        "sources": [
            {"key": s.key, "sha256": s.sha256, "bytes": s.size, "version_id": s.version_id}
            for s in cut.sources
        ],
        "recording_manifest": {
            "key": recording.manifest_key,
            "sha256": recording.manifest_sha256,
            "version_id": recording.manifest_version_id,
            "key_id": cut.signed.key_id,
        },
    }


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
            session, request, runtime, principal, recording_id, camera, start, end, Path(temp)
        )
    document = statement(cut, camera=camera, start=start, end=end)
    return Response(runtime.keyring.seal(document), media_type="application/json")
