"""A hearing's e-dossier package (电子卷宗) as one ZIP, for judges and clerks.

The same tree as `courtcast package`, stored uncompressed (video does not shrink)
under one folder named like the file. It is built in a temporary directory, every
object checked against its recording's signed manifest as it is copied, and only
then sent: a mismatch ends the request with 409 and a `package_refused` audit entry,
and nothing is signed or sent.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.responses import FileResponse
from sqlalchemy import func, select
from starlette.background import BackgroundTask

from api.deps import RuntimeDep, SessionDep, require
from api.evidence_refusal import refuse_uncertifiable
from api.visibility import visible_hearing
from court.principals import Principal
from court.sealing import SOFTWARE_VERSION
from recorder.dossier import RecordingInProgress, build_package, write_zip
from recorder.evidence_sources import EvidenceMismatch
from storage.models import Hearing, InitSegment, Recording, Segment, Track

router = APIRouter(prefix="/api/v1/hearings", tags=["package"])

# One package at a time per process: each holds a full copy of the hearing's footage on disk
# twice over while it is built, and the disk it uses may be the recorder's spool's.
_building = asyncio.Lock()
# Peak disk use: the copied segments and their MP4s (2x), then the ZIP beside them (2x more).
PEAK_COPIES = 4
DISK_RESERVE = 1 << 30  # what is left free for the spool and the index, beyond the peak

# who takes a case's dossier on appeal: the bench and its clerks, not operators or cameras
Reviewer = Annotated[Principal, Depends(require("admin", "judge", "clerk"))]


@router.get(
    "/{hearing_id}/package",
    response_class=FileResponse,
    responses={200: {"content": {"application/zip": {}}, "description": "the package"}},
)
async def download_package(
    hearing_id: str,
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: Reviewer,
) -> Response:
    hearing = await visible_hearing(session, principal, hearing_id)
    if _building.locked():
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            "another package is being built; try again in a minute",
            headers={"Retry-After": "60"},
        )
    async with _building:
        return await _build_and_send(request, session, runtime, principal, hearing)


async def _build_and_send(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: Principal,
    hearing: Hearing,
) -> Response:
    needed = PEAK_COPIES * await _stored_bytes(session, hearing.id) + DISK_RESERVE
    free = shutil.disk_usage(tempfile.gettempdir()).free
    if free < needed:
        raise HTTPException(
            status.HTTP_507_INSUFFICIENT_STORAGE,
            f"building this package needs {needed >> 20} MiB free for temporary files, "
            f"{free >> 20} MiB are; ask the administrator, or use `courtcast package` "
            "on a machine with room",
        )
    name = f"courtcast-hearing-{hearing.id}"
    workdir = Path(tempfile.mkdtemp(prefix="courtcast-package-"))
    try:
        await build_package(
            session,
            runtime.store,
            runtime.keyring,
            hearing=hearing,
            directory=workdir / name,
            software_version=SOFTWARE_VERSION,
        )
        archive = workdir / f"{name}.zip"
        await asyncio.to_thread(write_zip, workdir / name, archive)
        await asyncio.to_thread(shutil.rmtree, workdir / name)  # only the ZIP stays till sent
    except RecordingInProgress as error:
        shutil.rmtree(workdir, ignore_errors=True)
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from None
    except EvidenceMismatch as error:
        shutil.rmtree(workdir, ignore_errors=True)
        await refuse_uncertifiable(
            session,
            request,
            runtime,
            principal,
            action="package_refused",
            details={"hearing_id": hearing.id},
            error=error,
            nothing_made="no package is made",
        )
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    return FileResponse(
        archive,
        media_type="application/zip",
        filename=archive.name,
        background=BackgroundTask(shutil.rmtree, workdir, ignore_errors=True),
    )


async def _stored_bytes(session: SessionDep, hearing_id: str) -> int:
    """Every archived byte of the hearing's recordings: what the package copies."""
    recordings = select(Recording.id).where(Recording.hearing_id == hearing_id)
    tracks = select(Track.id).where(Track.recording_id.in_(recordings))
    total = 0
    for model in (Segment, InitSegment):
        total += (
            await session.scalar(
                select(func.coalesce(func.sum(model.size), 0)).where(model.track_id.in_(tracks))
            )
            or 0
        )
    return total
