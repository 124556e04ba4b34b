"""Admins assign judges, clerks and operators to hearings: for a sealed hearing, the only
people besides admins who can see it at all (court/visibility.py)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from court.errors import Invalid, NotFound
from storage.models import Hearing, HearingAssignment, Token

ASSIGNABLE = frozenset({"judge", "clerk", "operator", "supervisor"})


async def assign(session: AsyncSession, hearing: Hearing, token_id: str) -> Token:
    """Assign an active judge, clerk or operator token (Invalid otherwise); idempotent."""
    token = await session.get(Token, token_id)
    if token is None or token.revoked_at is not None:
        raise Invalid("no such active token")
    if token.role not in ASSIGNABLE:
        raise Invalid(f"only {', '.join(sorted(ASSIGNABLE))} tokens are assigned to hearings")
    if await session.get(HearingAssignment, (hearing.id, token.id)) is None:
        session.add(HearingAssignment(hearing_id=hearing.id, token_id=token.id))
        await session.commit()
    return token


async def assigned_tokens(session: AsyncSession, hearing: Hearing) -> list[Token]:
    """The hearing's assigned tokens, in the order they were assigned."""
    tokens = await session.scalars(
        select(Token)
        .join(HearingAssignment, Token.id == HearingAssignment.token_id)
        .where(HearingAssignment.hearing_id == hearing.id)
        .order_by(HearingAssignment.assigned_at)
    )
    return list(tokens)


async def unassign(session: AsyncSession, hearing: Hearing, token_id: str) -> None:
    row = await session.get(HearingAssignment, (hearing.id, token_id))
    if row is None:
        raise NotFound("no such assignment")
    await session.delete(row)
    await session.commit()
