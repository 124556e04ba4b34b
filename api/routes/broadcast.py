"""The operator's broadcast controls of a hearing: kill switch, delay, viewers, access codes."""

from __future__ import annotations

from collections import Counter

from fastapi import APIRouter, Response, status

from api.code_view import code_out, new_code_out
from api.deps import OperatedHearing, Operator, RuntimeDep, SessionDep
from api.holder import HearingAtHolder
from api.schemas.broadcast import (
    AccessCodeIn,
    AccessCodeOut,
    BroadcastIn,
    BroadcastOut,
    NewAccessCode,
)
from court.live.codes import codes_of, create_code, revoke_code

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
    """`viewers` counts every public and code viewer, those other processes serve too."""
    state = await runtime.broadcasts.state(session, hearing_id)
    here = Counter(runtime.viewers.counts(hearing_id))
    return BroadcastOut(
        hearing_id=hearing_id,
        on=state.on,
        delay_s=state.delay_s,
        viewers=dict(here + runtime.mirrors.audience_elsewhere(hearing_id)),
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
    issued = await create_code(session, runtime.access_codes, hearing, body.terms(principal))
    return new_code_out(issued, runtime)


@router.get("/{hearing_id}/access-codes", response_model=list[AccessCodeOut])
async def list_access_codes(
    hearing_id: str,
    session: SessionDep,
    runtime: RuntimeDep,
    _: Operator,
    __: OperatedHearing,
    ___: HearingAtHolder,  # who is watching is known where the courtroom is held
) -> list[AccessCodeOut]:
    codes = await codes_of(session, hearing_id=hearing_id)
    return [code_out(row, runtime) for row in codes]


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
    await revoke_code(session, runtime.viewers, code_id, hearing_id=hearing_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
