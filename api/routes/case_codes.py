"""A case's access codes: one code per family for every restricted hearing of the case, in
whatever sitting it comes up (court/live/codes.py). Made, listed and revoked by operators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from api.code_view import code_out, new_code_out
from api.deps import Operator, PrincipalDep, RuntimeDep, SessionDep
from api.schemas.broadcast import AccessCodeIn, AccessCodeOut, NewAccessCode
from court.cases import find_case
from court.live.codes import codes_of, create_case_code, revoke_code
from storage.models import Case

router = APIRouter(prefix="/api/v1/cases", tags=["broadcast"])


async def get_visible_case(case_id: str, session: SessionDep, principal: PrincipalDep) -> Case:
    """The case, or 404 when all its hearings are sealed ones the caller may not see."""
    return await find_case(session, principal, case_id)


VisibleCase = Annotated[Case, Depends(get_visible_case)]


@router.post(
    "/{case_id}/access-codes", response_model=NewAccessCode, status_code=status.HTTP_201_CREATED
)
async def create_access_code(
    body: AccessCodeIn,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: Operator,
    case: VisibleCase,
) -> NewAccessCode:
    """The code opens each restricted hearing of the case while it is in session, on at most
    `max_viewers` devices at once; the digits are shown only in this answer."""
    terms = body.terms(principal)
    return new_code_out(
        await create_case_code(session, runtime.access_codes, principal, case, terms), runtime
    )


@router.get("/{case_id}/access-codes", response_model=list[AccessCodeOut])
async def list_access_codes(
    session: SessionDep, runtime: RuntimeDep, _: Operator, case: VisibleCase
) -> list[AccessCodeOut]:
    """The case's own codes (a hearing's are listed with the hearing); `watching` counts the
    devices on this node."""
    return [code_out(row, runtime) for row in await codes_of(session, case_id=case.id)]


@router.delete("/{case_id}/access-codes/{code_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_access_code(
    code_id: str, session: SessionDep, runtime: RuntimeDep, _: Operator, case: VisibleCase
) -> Response:
    """Revoked at once: the code opens nothing more; its viewers are hung up within a second."""
    await revoke_code(session, runtime.viewers, code_id, case_id=case.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
