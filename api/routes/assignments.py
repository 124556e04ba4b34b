"""Admins assign judges, clerks and operators to hearings: for a sealed hearing, the only
people besides admins who can see it at all."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response, status
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from api.deps import Admin, SessionDep
from api.visibility import visible_hearing
from storage.models import HearingAssignment, Token

router = APIRouter(prefix="/api/v1/hearings", tags=["assignments"])
ASSIGNABLE = frozenset({"judge", "clerk", "operator"})


class AssignmentIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"token_id": "3c2b1a0f9e8d4c7b6a5f4e3d2c1b0a9f"}]}
    )

    token_id: str


class AssignmentOut(BaseModel):
    hearing_id: str
    token_id: str
    name: str
    role: str


@router.post(
    "/{hearing_id}/assignments",
    status_code=status.HTTP_201_CREATED,
    response_model=AssignmentOut,
)
async def assign(
    hearing_id: str, body: AssignmentIn, session: SessionDep, principal: Admin
) -> AssignmentOut:
    await visible_hearing(session, principal, hearing_id)
    token = await session.get(Token, body.token_id)
    if token is None or token.revoked_at is not None:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "no such active token")
    if token.role not in ASSIGNABLE:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"only {', '.join(sorted(ASSIGNABLE))} tokens are assigned to hearings",
        )
    if await session.get(HearingAssignment, (hearing_id, token.id)) is None:
        session.add(HearingAssignment(hearing_id=hearing_id, token_id=token.id))
        await session.commit()
    return AssignmentOut(hearing_id=hearing_id, token_id=token.id, name=token.name, role=token.role)


@router.get("/{hearing_id}/assignments", response_model=list[AssignmentOut])
async def assignments(
    hearing_id: str, session: SessionDep, principal: Admin
) -> list[AssignmentOut]:
    await visible_hearing(session, principal, hearing_id)
    rows = await session.execute(
        select(HearingAssignment, Token)
        .join(Token, Token.id == HearingAssignment.token_id)
        .where(HearingAssignment.hearing_id == hearing_id)
        .order_by(HearingAssignment.assigned_at)
    )
    return [
        AssignmentOut(hearing_id=hearing_id, token_id=token.id, name=token.name, role=token.role)
        for _, token in rows
    ]


@router.delete("/{hearing_id}/assignments/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
async def unassign(
    hearing_id: str, token_id: str, session: SessionDep, principal: Admin
) -> Response:
    await visible_hearing(session, principal, hearing_id)
    row = await session.get(HearingAssignment, (hearing_id, token_id))
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such assignment")
    await session.delete(row)
    await session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
