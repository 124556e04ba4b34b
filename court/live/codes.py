"""A restricted hearing's access codes as the court hands them out: made, listed, revoked,
and exchanged by a family member for a viewer ticket (court/live/access_codes.py checks them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from court.errors import Conflict, NotFound
from court.in_session import Refusal
from court.live.access_codes import AccessCodeDesk, CodePass, Presented, new_code
from court.live.viewers import ViewerRegistry
from storage.models import AccessCode, Hearing

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


async def create_code(
    session: AsyncSession,
    desk: AccessCodeDesk,
    hearing: Hearing,
    *,
    label: str,
    expires_at: datetime | None,
    max_viewers: int,
    created_by: str,
) -> IssuedCode:
    """A fresh code for a restricted hearing (Conflict for any other)."""
    if hearing.visibility != "restricted":
        raise Conflict(
            f"access codes are for restricted hearings; this one is {hearing.visibility}"
        )
    code = new_code()
    row = AccessCode(
        hearing_id=hearing.id,
        label=label,
        code_hash=desk.code_hash(code),
        expires_at=expires_at,
        max_viewers=max_viewers,
        created_by=created_by,
    )
    session.add(row)
    await session.commit()
    return IssuedCode(row, code)


async def hearing_codes(session: AsyncSession, hearing_id: str) -> list[AccessCode]:
    """The hearing's codes, oldest first (revoked ones included: the desk shows them so)."""
    rows = await session.scalars(
        select(AccessCode)
        .where(AccessCode.hearing_id == hearing_id)
        .order_by(AccessCode.created_at)
    )
    return list(rows)


async def revoke_code(
    session: AsyncSession, viewers: ViewerRegistry, hearing_id: str, code_id: str
) -> None:
    """Revoked at once: the code opens nothing more, and its viewers are hung up."""
    row = await session.get(AccessCode, code_id)
    if row is None or row.hearing_id != hearing_id:
        raise NotFound(NO_SUCH_CODE)
    row.revoked_at = row.revoked_at or datetime.now(UTC)
    await session.commit()
    await viewers.close_code(code_id)
