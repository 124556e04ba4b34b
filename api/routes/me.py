"""Who a token is and what it may publish to: how /publish needs no typed courtroom id.

A camera opened from a link knows only its token; this answer names the courtroom and camera
the token was made for, and gives operators their pick list. It lists only what the token
may use, and says nothing about hearings (sealed ones included).
"""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import PrincipalDep, SessionDep
from api.schemas.courtrooms import camera_labels
from api.schemas.me import MeOut, UsableCourtroom
from court.principals import Principal
from court.tokens import usable_courtrooms
from storage.models import Courtroom

router = APIRouter(prefix="/api/v1/me", tags=["tokens"])


def usable(principal: Principal, courtroom: Courtroom) -> UsableCourtroom:
    """The courtroom as the token sees it: a camera token sees its own camera only."""
    cameras = [
        camera
        for camera in courtroom.cameras
        if principal.role != "camera" or camera.name == principal.camera
    ]
    return UsableCourtroom(
        id=courtroom.id,
        name=courtroom.name,
        cameras=[camera.name for camera in cameras],
        camera_labels=camera_labels(cameras),
        evidence_sources=[camera.name for camera in cameras if camera.kind == "evidence"],
    )


@router.get("", response_model=MeOut)
async def whoami(principal: PrincipalDep, session: SessionDep) -> MeOut:
    courtrooms = await usable_courtrooms(session, principal)
    return MeOut(
        role=principal.role,
        name=principal.name,
        courtroom_ids=sorted(principal.courtroom_ids) or None,
        camera=principal.camera,
        courtrooms=[usable(principal, room) for room in courtrooms],
    )
