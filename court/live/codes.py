"""Access codes as the court hands them out: made, listed, revoked, and exchanged by a family
member for a viewer ticket (court/live/access_codes.py checks them).

A code opens one restricted hearing, or every restricted hearing of one case: the family of a
prisoner whose parole or commutation comes up in a sitting holds one code for the case, which
opens its hearing in whatever sitting it is held (and nothing of the other cases).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from court.errors import Conflict, Forbidden, NotFound
from court.in_session import Refusal
from court.live.access_codes import AccessCodeDesk, CodePass, Presented, new_code
from court.live.viewers import ViewerRegistry
from court.principals import Principal
from storage.models import AccessCode, Case, Hearing

PUBLIC_NEEDS_NO_TICKET = "this hearing is public: no ticket is needed"
NO_SUCH_CODE = "no such access code"


@dataclass(frozen=True, slots=True)
class IssuedCode:
    """A new code's row and its digits, shown once (only the keyed hash is kept)."""

    row: AccessCode
    code: str


async def exchange_code(
    session: AsyncSession, desk: AccessCodeDesk, hearing_id: str, presented: Presented
) -> CodePass:
    """Trade the typed code (`presented.typed`) for a device on a restricted hearing."""
    hearing = await session.get(Hearing, hearing_id)
    if hearing is None or hearing.visibility == "sealed":
        raise NotFound(Refusal.NOT_FOUND.detail)
    if hearing.visibility != "restricted":
        raise Conflict(PUBLIC_NEEDS_NO_TICKET)
    return await desk.exchange(session, presented, hearing_id, presented.typed or "")


@dataclass(frozen=True, slots=True)
class CodeTerms:
    """What the court sets for a new code."""

    label: str
    expires_at: datetime | None
    max_viewers: int
    created_by: str


async def create_code(
    session: AsyncSession, desk: AccessCodeDesk, hearing: Hearing, terms: CodeTerms
) -> IssuedCode:
    """A fresh code for a restricted hearing (Conflict for any other)."""
    if hearing.visibility != "restricted":
        raise Conflict(
            f"access codes are for restricted hearings; this one is {hearing.visibility}"
        )
    return await _issue(session, desk, AccessCode(hearing_id=hearing.id), terms)


async def create_case_code(
    session: AsyncSession, desk: AccessCodeDesk, principal: Principal, case: Case, terms: CodeTerms
) -> IssuedCode:
    """A fresh code for every restricted hearing of a case, held or to be held (Conflict if the
    case has none; Forbidden unless the caller may use the courtroom of one of them)."""
    rooms = set(
        await session.scalars(
            select(Hearing.courtroom_id).where(
                Hearing.case_id == case.id, Hearing.visibility == "restricted"
            )
        )
    )
    if not rooms:
        raise Conflict("access codes are for restricted hearings; this case has none")
    if not any(principal.may_use_courtroom(room) for room in rooms):
        raise Forbidden("this token may not use the courtrooms of this case's hearings")
    return await _issue(session, desk, AccessCode(case_id=case.id), terms)


async def _issue(
    session: AsyncSession, desk: AccessCodeDesk, row: AccessCode, terms: CodeTerms
) -> IssuedCode:
    code = new_code()
    row.code_hash = desk.code_hash(code)
    row.label, row.expires_at = terms.label, terms.expires_at
    row.max_viewers, row.created_by = terms.max_viewers, terms.created_by
    session.add(row)
    await session.commit()
    return IssuedCode(row, code)


async def codes_of(
    session: AsyncSession, *, hearing_id: str | None = None, case_id: str | None = None
) -> list[AccessCode]:
    """A hearing's or a case's own codes, oldest first (revoked ones included: the desk shows
    them so)."""
    scope = AccessCode.case_id == case_id if case_id else AccessCode.hearing_id == hearing_id
    rows = await session.scalars(select(AccessCode).where(scope).order_by(AccessCode.created_at))
    return list(rows)


async def revoke_code(
    session: AsyncSession,
    viewers: ViewerRegistry,
    code_id: str,
    *,
    hearing_id: str | None = None,
    case_id: str | None = None,
) -> None:
    """Revoked at once: the code opens nothing more, and its viewers here are hung up (those
    on other nodes at their guard's next look)."""
    row = await session.get(AccessCode, code_id)
    if row is None or (row.hearing_id, row.case_id) != (hearing_id, case_id):
        raise NotFound(NO_SUCH_CODE)
    row.revoked_at = row.revoked_at or datetime.now(UTC)
    await session.commit()
    await viewers.close_code(code_id)
