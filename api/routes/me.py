"""Who a token is and what it may publish to: how /publish needs no typed courtroom id.

A camera opened from a link knows only its token; this answer names the courtroom and camera
the token was made for, and gives operators their pick list. It lists only what the token
may use, and says nothing about hearings (sealed ones included).
"""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import PrincipalDep, RuntimeDep, SessionDep
from api.routes.courtrooms import courtroom_out
from api.schemas.courtrooms import CourtroomOut
from api.schemas.me import MeOut, UsableCourtroom
from court.principals import Principal
from court.tokens import usable_courtrooms

router = APIRouter(prefix="/api/v1/me", tags=["tokens"])


def usable(principal: Principal, courtroom: CourtroomOut) -> UsableCourtroom:
    """The courtroom as the token sees it: a camera token sees its own camera only."""
    cameras = courtroom.cameras
    if principal.role == "camera":
        cameras = [name for name in cameras if name == principal.camera]
    return UsableCourtroom(
        id=courtroom.id,
        name=courtroom.name,
        cameras=cameras,
        camera_labels={name: courtroom.camera_labels[name] for name in cameras},
        evidence_sources=[name for name in courtroom.evidence_sources if name in cameras],
    )


@router.get("", response_model=MeOut)
async def whoami(principal: PrincipalDep, session: SessionDep, runtime: RuntimeDep) -> MeOut:
    courtrooms = await usable_courtrooms(session, principal)
    return MeOut(
        role=principal.role,
        name=principal.name,
        courtroom_ids=sorted(principal.courtroom_ids) or None,
        camera=principal.camera,
        courtrooms=[usable(principal, courtroom_out(room, runtime)) for room in courtrooms],
    )
