"""A hearing's e-dossier package (电子卷宗) as one ZIP, for judges and clerks.

The same tree as `courtcast package`, stored uncompressed (video does not shrink)
under one folder named like the file. It is built in a temporary directory, every
object checked against its recording's signed manifest as it is copied, and only
then sent: a mismatch ends the request with 409 and a `package_refused` audit entry,
and nothing is signed or sent.
"""

from __future__ import annotations

import shutil
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from api.deps import RuntimeDep, SessionDep, requester, require
from court.dossiers import dossier_zip
from court.principals import Principal

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
    archive = await dossier_zip(
        session, runtime.evidence, requester(request, principal), hearing_id
    )
    return FileResponse(
        archive,
        media_type="application/zip",
        filename=archive.name,
        background=BackgroundTask(shutil.rmtree, archive.parent, ignore_errors=True),
    )
