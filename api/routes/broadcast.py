"""The operator's broadcast controls of a hearing: kill switch, delay, viewers, access codes."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from api.deps import OperatedHearing, Operator, RuntimeDep, SessionDep
from api.holder import HearingAtHolder
from api.schemas.broadcast import (
    AccessCodeIn,
    AccessCodeOut,
    BroadcastIn,
    BroadcastOut,
    NewAccessCode,
)
from court.live.codes import create_code, hearing_codes, revoke_code
from storage.models import AccessCode

router = APIRouter(prefix="/api/v1/hearings", tags=["broadcast"])


@router.get("/{hearing_id}/broadcast", response_model=BroadcastOut)
async def broadcast_state(
    hearing_id: str,
    session: SessionDep,
    runtime: RuntimeDep,
    _: Operator,
    __: OperatedHearing,
    ___: HearingAtHolder,
) -> BroadcastOut:
    state = await runtime.broadcasts.state(session, hearing_id)
    return BroadcastOut(
        hearing_id=hearing_id,
        on=state.on,
        delay_s=state.delay_s,
        viewers=runtime.viewers.counts(hearing_id),
    )


@router.put("/{hearing_id}/broadcast", response_model=BroadcastOut)
async def change_broadcast(
    hearing_id: str,
    body: BroadcastIn,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: Operator,
    hearing: OperatedHearing,
    at_holder: HearingAtHolder,
) -> BroadcastOut:
    """`on: false` is the kill switch: public viewing stops at once; the recording goes on."""
    await runtime.broadcasts.change(
        session, hearing_id, on=body.on, delay_s=body.delay_s, by=principal.name
    )
    return await broadcast_state(hearing_id, session, runtime, principal, hearing, at_holder)


@router.post(
    "/{hearing_id}/access-codes", response_model=NewAccessCode, status_code=status.HTTP_201_CREATED
)
async def create_access_code(
    body: AccessCodeIn,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: Operator,
    hearing: OperatedHearing,
) -> NewAccessCode:
    issued = await create_code(
        session,
        runtime.access_codes,
        hearing,
        label=body.label,
        expires_at=body.expires_at,
        max_viewers=body.max_viewers,
        created_by=principal.name,
    )
    return NewAccessCode(**_code_out(issued.row, runtime).model_dump(), code=issued.code)


@router.get("/{hearing_id}/access-codes", response_model=list[AccessCodeOut])
async def list_access_codes(
    hearing_id: str,
    session: SessionDep,
    runtime: RuntimeDep,
    _: Operator,
    __: OperatedHearing,
    ___: HearingAtHolder,  # who is watching is known where the courtroom is held
) -> list[AccessCodeOut]:
    return [_code_out(row, runtime) for row in await hearing_codes(session, hearing_id)]


@router.delete("/{hearing_id}/access-codes/{code_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_access_code(
    hearing_id: str,
    code_id: str,
    session: SessionDep,
    runtime: RuntimeDep,
    _: Operator,
    __: OperatedHearing,
    ___: HearingAtHolder,  # its viewers are hung up where the courtroom is held
) -> Response:
    """Revoked at once: the code opens nothing more, and its viewers are hung up."""
    await revoke_code(session, runtime.viewers, hearing_id, code_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _code_out(row: AccessCode, runtime: RuntimeDep) -> AccessCodeOut:
    return AccessCodeOut(
        id=row.id,
        hearing_id=row.hearing_id,
        label=row.label,
        expires_at=row.expires_at,
        max_viewers=row.max_viewers,
        revoked_at=row.revoked_at,
        created_at=row.created_at,
        watching=len(runtime.access_codes.devices(row.id)),
    )
