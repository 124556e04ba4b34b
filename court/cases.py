"""Cases, identified by their court case number, e.g. (2026)湘04民初123号, with their parties.

A case's type picks the retention class of its recordings; its legal hold stops the store
from deleting any of them, retention or not, until it is released. A case whose hearings
are all sealed is itself sealed (court/visibility.py): "case not found" to whoever may see
none of them, and absent from their listings.
"""

from __future__ import annotations

import logging
from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from court.courtrooms import DefaultCourt, court_id_for
from court.errors import Conflict, Forbidden, Invalid, NotFound, Unavailable
from court.principals import Principal
from court.visibility import case_visible
from storage import case_numbers
from storage.case_objects import case_object_keys
from storage.catalog import add_case_parties, case_parties, replace_case_parties
from storage.models import Case, CaseParty
from storage.objects import ObjectNotFound, ObjectStore, ObjectStoreUnavailable

log = logging.getLogger(__name__)

Party = tuple[str, str]  # (name, role), as the desk typed them; stored trimmed


async def open_case(
    session: AsyncSession,
    *,
    number: str,
    title: str,
    case_type: str,
    court_id: str | None,
    parties: list[Party],
    case_types: Collection[str],
    default: DefaultCourt,
) -> Case:
    """A new case; its type must be one of the retention table's `case_types` (Invalid) and
    its number new in any spelling (Conflict)."""
    number = number.strip()
    if case_type not in case_types:
        raise Invalid(f"unknown case_type {case_type!r}; one of: {', '.join(sorted(case_types))}")
    same = select(Case.id).where(Case.number_key == case_numbers.normalize(number))
    if await session.scalar(same) is not None:
        raise Conflict(f"case {number} already exists")
    case = Case(
        court_id=await court_id_for(session, court_id, default),
        number=number,
        title=title,
        case_type=case_type,
    )
    session.add(case)
    await session.flush()
    add_case_parties(session, case_id=case.id, parties=_trimmed(parties))
    await session.commit()
    return case


def _trimmed(parties: list[Party]) -> list[Party]:
    return [(name.strip(), role.strip()) for name, role in parties]


async def list_cases(session: AsyncSession, principal: Principal, number: str | None) -> list[Case]:
    """The newest 500 cases the caller may see, or the one by that number in any spelling."""
    query = select(Case).where(case_visible(principal)).order_by(Case.created_at.desc()).limit(500)
    if number:
        query = query.where(Case.number_key == case_numbers.normalize(number))
    return list(await session.scalars(query))


async def parties_of(session: AsyncSession, cases: list[Case]) -> dict[str, list[CaseParty]]:
    """Each case's parties in their given order, fetched for all of them at once."""
    return await case_parties(session, case_ids=[case.id for case in cases])


async def find_case(session: AsyncSession, principal: Principal, case_id: str) -> Case:
    case = await session.scalar(select(Case).where(Case.id == case_id, case_visible(principal)))
    if case is None:
        raise NotFound("case not found")
    return case


async def correct_case(
    session: AsyncSession, case: Case, *, title: str | None, parties: list[Party] | None
) -> None:
    """Correct a case's title or replace its parties; its number, which search keys on, stays."""
    if title is not None:
        case.title = title
    if parties is not None:
        await replace_case_parties(session, case_id=case.id, parties=_trimmed(parties))
    await session.commit()


async def set_legal_hold(
    session: AsyncSession, principal: Principal, case: Case, *, on: bool, store: ObjectStore
) -> None:
    """Record the hold first, so objects stored from now on get it as they are written; then
    apply it to every object already stored. Idempotent: repeat it after Unavailable.
    Operators may place a hold; lifting one is an admin's act (Forbidden)."""
    if not on and principal.role != "admin":
        raise Forbidden("only an admin may lift a legal hold")
    case.legal_hold = on
    await session.commit()
    for key in await case_object_keys(session, case_id=case.id):
        try:
            await store.set_legal_hold(key, on)
        except ObjectNotFound:
            log.warning("indexed object %s of case %s is missing from the store", key, case.id)
        except ObjectStoreUnavailable as exc:
            raise Unavailable(
                f"the hold is recorded but the store did not answer; repeat the request ({exc})"
            ) from exc
