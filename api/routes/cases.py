"""Cases, identified by their court case number, e.g. (2026)湘04民初123号 (the rules, legal
hold and sealing included, are court/cases.py's)."""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import Operator, RuntimeDep, SessionDep, SettingsDep, Staff
from api.schemas.cases import CaseIn, CaseOut, CasePatch, LegalHoldIn, PartyIn, PartyOut
from court import cases
from court.courtrooms import DefaultCourt
from storage.models import Case

router = APIRouter(prefix="/api/v1/cases", tags=["cases"])


async def cases_out(session: AsyncSession, found: list[Case]) -> list[CaseOut]:
    """Cases with their parties, fetched for all of them at once."""
    parties = await cases.parties_of(session, found)
    out = []
    for case in found:
        body = CaseOut.model_validate(case, from_attributes=True)
        body.parties = [PartyOut(name=p.name, role=p.role) for p in parties[case.id]]
        out.append(body)
    return out


async def case_out(session: AsyncSession, case: Case) -> CaseOut:
    (body,) = await cases_out(session, [case])
    return body


def party_pairs(parties: list[PartyIn]) -> list[cases.Party]:
    return [(party.name, party.role) for party in parties]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CaseOut)
async def create_case(
    body: CaseIn, session: SessionDep, settings: SettingsDep, _: Operator
) -> CaseOut:
    case = await cases.open_case(
        session,
        number=body.number,
        title=body.title,
        case_type=body.case_type,
        court_id=body.court_id,
        parties=party_pairs(body.parties),
        case_types=settings.retention_table.keys(),
        default=DefaultCourt(settings.court_name, settings.court_timezone),
    )
    return await case_out(session, case)


@router.get("", response_model=list[CaseOut])
async def list_cases(
    session: SessionDep, principal: Staff, number: str | None = None
) -> list[CaseOut]:
    return await cases_out(session, await cases.list_cases(session, principal, number))


@router.get("/{case_id}", response_model=CaseOut)
async def get_case(case_id: str, session: SessionDep, principal: Staff) -> CaseOut:
    return await case_out(session, await cases.find_case(session, principal, case_id))


@router.patch("/{case_id}", response_model=CaseOut)
async def update_case(
    case_id: str, body: CasePatch, session: SessionDep, principal: Operator
) -> CaseOut:
    """Correct a case's title or its parties; its number, which search keys on, stays."""
    case = await cases.find_case(session, principal, case_id)
    parties = None if body.parties is None else party_pairs(body.parties)
    await cases.correct_case(session, case, title=body.title, parties=parties)
    return await case_out(session, case)


@router.put("/{case_id}/legal-hold", response_model=CaseOut)
async def set_legal_hold(
    case_id: str, body: LegalHoldIn, session: SessionDep, runtime: RuntimeDep, principal: Operator
) -> CaseOut:
    """Record the hold first, so objects stored from now on get it as they are written;
    then apply it to every object already stored. Idempotent: repeat it after a 503.
    Operators may place a hold; lifting one is an admin's act."""
    case = await cases.find_case(session, principal, case_id)
    await cases.set_legal_hold(session, principal, case, on=body.on, store=runtime.store)
    return await case_out(session, case)
