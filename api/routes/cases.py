"""Cases, identified by their court case number, e.g. (2026)湘04民初123号."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status
from sqlalchemy import select

from api.deps import Operator, RuntimeDep, SessionDep, Staff
from api.schemas import CaseIn, CaseOut
from storage.catalog import default_court
from storage.models import Case, Court

router = APIRouter(prefix="/api/v1/cases", tags=["cases"])


def case_out(case: Case) -> CaseOut:
    return CaseOut.model_validate(case, from_attributes=True)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CaseOut)
async def create_case(
    body: CaseIn, session: SessionDep, runtime: RuntimeDep, _: Operator
) -> CaseOut:
    number = body.number.strip()
    if await session.scalar(select(Case.id).where(Case.number == number)) is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, f"case {number} already exists")
    if body.court_id is None:
        settings = runtime.settings
        court = await default_court(
            session, name=settings.court_name, timezone=settings.court_timezone
        )
        court_id = court.id
    elif await session.get(Court, body.court_id) is None:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "unknown court_id")
    else:
        court_id = body.court_id
    case = Case(court_id=court_id, number=number, title=body.title)
    session.add(case)
    await session.commit()
    return case_out(case)


@router.get("", response_model=list[CaseOut])
async def list_cases(session: SessionDep, _: Staff, number: str | None = None) -> list[CaseOut]:
    query = select(Case).order_by(Case.created_at.desc()).limit(500)
    if number:
        query = query.where(Case.number == number)
    return [case_out(case) for case in await session.scalars(query)]


@router.get("/{case_id}", response_model=CaseOut)
async def get_case(case_id: str, session: SessionDep, _: Staff) -> CaseOut:
    case = await session.get(Case, case_id)
    if case is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "case not found")
    return case_out(case)
