"""The operator's broadcast controls of a hearing: kill switch, delay, viewers, access codes."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, Response, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from api.access_codes import new_code
from api.deps import Operator, RuntimeDep, SessionDep
from api.time_range import BoundedDatetime
from api.visibility import visible_hearing
from court.live.broadcasts import MAX_DELAY_S
from court.principals import Principal
from storage.models import AccessCode, Hearing

router = APIRouter(prefix="/api/v1/hearings", tags=["broadcast"])


class BroadcastIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"on": True, "delay_s": 10}]})

    on: bool
    delay_s: float = Field(0.0, ge=0.0, le=MAX_DELAY_S)


class BroadcastOut(BaseModel):
    hearing_id: str
    on: bool
    delay_s: float
    viewers: dict[str, int]  # by camera, right now


class AccessCodeIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"label": "张三的家属", "expires_at": "2026-11-26T12:00:00+08:00", "max_viewers": 2}
            ]
        }
    )

    label: str = Field(min_length=1, max_length=200)
    expires_at: BoundedDatetime | None = None
    max_viewers: int = Field(1, ge=1, le=1000)


class AccessCodeOut(BaseModel):
    id: str
    hearing_id: str
    label: str
    expires_at: datetime | None
    max_viewers: int
    revoked_at: datetime | None
    created_at: datetime
    watching: int  # devices in use: WHEP viewers and live HLS tickets


class NewAccessCode(AccessCodeOut):
    code: str  # shown once (1234-5678-9012); only its keyed hash is kept


async def operated_hearing(session: SessionDep, hearing_id: str, principal: Principal) -> Hearing:
    hearing = await visible_hearing(session, principal, hearing_id)
    if not principal.may_use_courtroom(hearing.courtroom_id):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this token may not use that courtroom")
    return hearing


@router.get("/{hearing_id}/broadcast", response_model=BroadcastOut)
async def broadcast_state(
    hearing_id: str, session: SessionDep, runtime: RuntimeDep, principal: Operator
) -> BroadcastOut:
    await operated_hearing(session, hearing_id, principal)
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
) -> BroadcastOut:
    """`on: false` is the kill switch: public viewing stops at once; the recording goes on."""
    await operated_hearing(session, hearing_id, principal)
    await runtime.broadcasts.change(
        session, hearing_id, on=body.on, delay_s=body.delay_s, by=principal.name
    )
    return await broadcast_state(hearing_id, session, runtime, principal)


@router.post(
    "/{hearing_id}/access-codes", response_model=NewAccessCode, status_code=status.HTTP_201_CREATED
)
async def create_access_code(
    hearing_id: str,
    body: AccessCodeIn,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: Operator,
) -> NewAccessCode:
    hearing = await operated_hearing(session, hearing_id, principal)
    if hearing.visibility != "restricted":
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"access codes are for restricted hearings; this one is {hearing.visibility}",
        )
    code = new_code()
    row = AccessCode(
        hearing_id=hearing_id,
        label=body.label,
        code_hash=runtime.access_codes.code_hash(code),
        expires_at=body.expires_at,
        max_viewers=body.max_viewers,
        created_by=principal.name,
    )
    session.add(row)
    await session.commit()
    return NewAccessCode(**_code_out(row, runtime).model_dump(), code=code)


@router.get("/{hearing_id}/access-codes", response_model=list[AccessCodeOut])
async def list_access_codes(
    hearing_id: str, session: SessionDep, runtime: RuntimeDep, principal: Operator
) -> list[AccessCodeOut]:
    await operated_hearing(session, hearing_id, principal)
    rows = await session.scalars(
        select(AccessCode)
        .where(AccessCode.hearing_id == hearing_id)
        .order_by(AccessCode.created_at)
    )
    return [_code_out(row, runtime) for row in rows]


@router.delete("/{hearing_id}/access-codes/{code_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_access_code(
    hearing_id: str, code_id: str, session: SessionDep, runtime: RuntimeDep, principal: Operator
) -> Response:
    """Revoked at once: the code opens nothing more, and its viewers are hung up."""
    await operated_hearing(session, hearing_id, principal)
    row = await session.get(AccessCode, code_id)
    if row is None or row.hearing_id != hearing_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such access code")
    row.revoked_at = row.revoked_at or datetime.now(UTC)
    await session.commit()
    await runtime.viewers.close_code(code_id)
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
