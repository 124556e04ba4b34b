"""The courtroom's program feed (court/program.py): what the public sees, chosen by the operator
or the judge: a camera, the evidence source, or the recess slate. Choosing runs on the node
holding the courtroom's live media (forwarded there)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from pydantic import BaseModel, Field

from api.deps import OperatedCourtroom, RuntimeDep, SessionDep, Staff, require
from api.holder import at_holder
from court.principals import Principal
from court.program import RECESS, ProgramState

router = APIRouter(prefix="/api/v1/courtrooms", tags=["program"])
Director = Annotated[Principal, Depends(require("admin", "operator", "judge"))]


class ProgramIn(BaseModel):
    source: str = Field(
        min_length=1, max_length=64, description=f"a camera of the courtroom, or {RECESS!r}"
    )


class ProgramOut(BaseModel):
    chosen: str  # a camera, or "recess"
    on_air: str | None  # what the public sees now; null on the slate
    slate: str | None  # recess, off_record
    changed_at: datetime
    changed_by: str

    @classmethod
    def of(cls, state: ProgramState) -> ProgramOut:
        return cls(
            chosen=state.chosen,
            on_air=state.on_air,
            slate=state.slate,
            changed_at=state.changed_at,
            changed_by=state.changed_by,
        )


@router.get("/{courtroom_id}/program", response_model=ProgramOut | None)
async def program(
    request: Request, runtime: RuntimeDep, _: Staff, courtroom: OperatedCourtroom
) -> ProgramOut | None:
    """The room's program; null while it has none (viewers watch the cameras)."""
    await at_holder(request, runtime, courtroom.id, redirect=False, take=False)
    state = runtime.program.state(courtroom.id)
    return ProgramOut.of(state) if state else None


@router.put("/{courtroom_id}/program", response_model=ProgramOut)
async def choose(
    body: ProgramIn,
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: Director,
    courtroom: OperatedCourtroom,
) -> ProgramOut:
    """Put a camera (or the recess slate) on air for the public, from the camera's next
    keyframe; a marker records the switch."""
    await at_holder(request, runtime, courtroom.id, redirect=False, take=True)
    state = await runtime.program.choose(session, principal, courtroom, body.source.strip())
    await runtime.live_guard.check_now()  # the public watching a camera of the room is cut
    return ProgramOut.of(state)


@router.delete("/{courtroom_id}/program", status_code=status.HTTP_204_NO_CONTENT)
async def end(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: Director,
    courtroom: OperatedCourtroom,
) -> Response:
    """No program any more: the public watches the cameras again (marked as a switch)."""
    await at_holder(request, runtime, courtroom.id, redirect=False, take=False)
    await runtime.program.end(session, principal, courtroom.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
