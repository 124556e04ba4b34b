"""API tokens as an admin manages them (the secret is shown once, only its hash is kept), and
the courtrooms a token may use: how /publish needs no typed courtroom id."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from court.courtrooms import list_courtrooms
from court.errors import Invalid, NotFound
from court.principals import Principal, Role, issue_token
from storage.models import Courtroom, Token


@dataclass(frozen=True, slots=True)
class TokenRequest:
    """What an admin asks a new token to be (court/principals.py's `issue_token` checks it)."""

    role: Role
    name: str
    courtroom_ids: list[str]
    camera: str | None
    expires_at: datetime | None
    place: str | None = None
    visibilities: list[str] | None = None


async def create_token(session: AsyncSession, request: TokenRequest) -> tuple[Token, str]:
    """The new token and its secret; Invalid when its scope names nothing real."""
    try:
        return await issue_token(session, **asdict(request))
    except ValueError as error:
        raise Invalid(str(error)) from error


async def list_tokens(session: AsyncSession) -> list[Token]:
    return list(await session.scalars(select(Token).order_by(Token.created_at)))


async def revoke_token(session: AsyncSession, token_id: str) -> bool:
    """Revoke the token (NotFound if there is none); True when it was live until now, so what
    it started must be judged again."""
    token = await session.get(Token, token_id)
    if token is None:
        raise NotFound("token not found")
    if token.revoked_at is not None:
        return False
    token.revoked_at = datetime.now(UTC)
    await session.commit()
    return True


async def usable_courtrooms(session: AsyncSession, principal: Principal) -> list[Courtroom]:
    """The courtrooms the token may use, oldest first (a token without a list: every one)."""
    return await list_courtrooms(session, only=principal.courtroom_ids)
