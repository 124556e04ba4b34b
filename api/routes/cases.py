"""Cases, identified by their court case number, e.g. (2026)湘04民初123号.

A case's type picks the retention class of its recordings; its legal hold stops the
store from deleting any of them, retention or not, until it is released.

A case whose hearings are all sealed is itself sealed: to anyone who may see none of
them it answers 404 "case not found" and is absent from listings, as an unknown id.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, HTTPException, status
from sqlalchemy import ColumnElement, exists, false, or_, select, true

from api.deps import Operator, RuntimeDep, SessionDep, Staff
from api.schemas import CaseIn, CaseOut, CasePatch, LegalHoldIn, PartyIn, PartyOut
from court.principals import Principal
from storage import case_numbers
from storage.catalog import (
    add_case_parties,
    case_object_keys,
    case_parties,
    default_court,
    replace_case_parties,
)
from storage.models import Case, Court, Hearing, HearingAssignment
from storage.objects import ObjectNotFound, ObjectStoreUnavailable

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1/cases", tags=["cases"])


async def cases_out(session: SessionDep, cases: list[Case]) -> list[CaseOut]:
    """Cases with their parties, fetched for all of them at once."""
    parties = await case_parties(session, case_ids=[case.id for case in cases])
    out = []
    for case in cases:
        body = CaseOut.model_validate(case, from_attributes=True)
        body.parties = [PartyOut(name=p.name, role=p.role) for p in parties[case.id]]
        out.append(body)
    return out


async def case_out(session: SessionDep, case: Case) -> CaseOut:
    (body,) = await cases_out(session, [case])
    return body


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CaseOut)
async def create_case(
    body: CaseIn, session: SessionDep, runtime: RuntimeDep, _: Operator
) -> CaseOut:
    number = body.number.strip()
    classes = runtime.settings.retention_table
    if body.case_type not in classes:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"unknown case_type {body.case_type!r}; one of: {', '.join(sorted(classes))}",
        )
    same = select(Case.id).where(Case.number_key == case_numbers.normalize(number))
    if await session.scalar(same) is not None:
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
    case = Case(court_id=court_id, number=number, title=body.title, case_type=body.case_type)
    session.add(case)
    await session.flush()
    add_case_parties(session, case_id=case.id, parties=party_rows(body.parties))
    await session.commit()
    return await case_out(session, case)


def party_rows(parties: list[PartyIn]) -> list[tuple[str, str]]:
    return [(party.name.strip(), party.role.strip()) for party in parties]


def case_visible(principal: Principal) -> ColumnElement[bool]:
    """SQL: the case has no hearing yet, or one this caller may see (api/visibility.py)."""
    if principal.role == "admin":
        return true()
    assigned = (
        false()
        if principal.token_id is None
        else Hearing.id.in_(
            select(HearingAssignment.hearing_id).where(
                HearingAssignment.token_id == principal.token_id
            )
        )
    )
    of_case = Hearing.case_id == Case.id
    return or_(
        ~exists().where(of_case),
        exists().where(of_case, or_(Hearing.visibility != "sealed", assigned)),
    )


@router.get("", response_model=list[CaseOut])
async def list_cases(
    session: SessionDep, principal: Staff, number: str | None = None
) -> list[CaseOut]:
    query = select(Case).where(case_visible(principal)).order_by(Case.created_at.desc()).limit(500)
    if number:
        query = query.where(Case.number_key == case_numbers.normalize(number))
    return await cases_out(session, list(await session.scalars(query)))


async def find_case(session: SessionDep, principal: Principal, case_id: str) -> Case:
    case = await session.scalar(select(Case).where(Case.id == case_id, case_visible(principal)))
    if case is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "case not found")
    return case


@router.get("/{case_id}", response_model=CaseOut)
async def get_case(case_id: str, session: SessionDep, principal: Staff) -> CaseOut:
    return await case_out(session, await find_case(session, principal, case_id))


@router.patch("/{case_id}", response_model=CaseOut)
async def update_case(
    case_id: str, body: CasePatch, session: SessionDep, principal: Operator
) -> CaseOut:
    """Correct a case's title or its parties; its number, which search keys on, stays."""
    case = await find_case(session, principal, case_id)
    if body.title is not None:
        case.title = body.title
    if body.parties is not None:
        await replace_case_parties(session, case_id=case.id, parties=party_rows(body.parties))
    await session.commit()
    return await case_out(session, case)


@router.put("/{case_id}/legal-hold", response_model=CaseOut)
async def set_legal_hold(
    case_id: str, body: LegalHoldIn, session: SessionDep, runtime: RuntimeDep, principal: Operator
) -> CaseOut:
    """Record the hold first, so objects stored from now on get it as they are written;
    then apply it to every object already stored. Idempotent: repeat it after a 503.
    Operators may place a hold; lifting one is an admin's act."""
    case = await find_case(session, principal, case_id)
    if not body.on and principal.role != "admin":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only an admin may lift a legal hold")
    case.legal_hold = body.on
    await session.commit()
    for key in await case_object_keys(session, case_id=case.id):
        try:
            await runtime.store.set_legal_hold(key, body.on)
        except ObjectNotFound:
            log.warning("indexed object %s of case %s is missing from the store", key, case.id)
        except ObjectStoreUnavailable as exc:
            raise HTTPException(
                status.HTTP_503_SERVICE_UNAVAILABLE,
                f"the hold is recorded but the store did not answer; repeat the request ({exc})",
            ) from exc
    return await case_out(session, case)
