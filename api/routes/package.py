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
from starlette.background import BackgroundTask

from api.auth import Principal
from api.control_room import SOFTWARE_VERSION
from api.deps import RuntimeDep, SessionDep, require
from api.evidence_refusal import refuse_uncertifiable
from api.visibility import visible_hearing
from recorder.dossier import RecordingInProgress, build_package, write_zip
from recorder.evidence_sources import EvidenceMismatch

router = APIRouter(prefix="/api/v1/hearings", tags=["package"])

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
