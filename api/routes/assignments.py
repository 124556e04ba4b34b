"""Admins assign judges, clerks and operators to hearings: for a sealed hearing, the only
people besides admins who can see it at all (court/assignments.py)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from api.deps import Admin, SessionDep, VisibleHearing
from api.schemas.assignments import AssignmentIn, AssignmentOut
from court import assignments as roster
from storage.models import Token

router = APIRouter(prefix="/api/v1/hearings", tags=["assignments"])


def assignment_out(hearing_id: str, token: Token) -> AssignmentOut:
    return AssignmentOut(hearing_id=hearing_id, token_id=token.id, name=token.name, role=token.role)


@router.post(
    "/{hearing_id}/assignments",
    status_code=status.HTTP_201_CREATED,
    response_model=AssignmentOut,
)
async def assign(
    body: AssignmentIn, session: SessionDep, _: Admin, hearing: VisibleHearing
) -> AssignmentOut:
    return assignment_out(hearing.id, await roster.assign(session, hearing, body.token_id))


@router.get("/{hearing_id}/assignments", response_model=list[AssignmentOut])
async def assignments(
    session: SessionDep, _: Admin, hearing: VisibleHearing
) -> list[AssignmentOut]:
    tokens = await roster.assigned_tokens(session, hearing)
    return [assignment_out(hearing.id, token) for token in tokens]


@router.delete("/{hearing_id}/assignments/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
async def unassign(
    token_id: str, session: SessionDep, _: Admin, hearing: VisibleHearing
) -> Response:
    await roster.unassign(session, hearing, token_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
