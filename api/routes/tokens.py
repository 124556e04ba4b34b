"""API tokens, created by an admin; the secret is shown once and only its hash is kept."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, Response, status
from sqlalchemy import select

from api.deps import Admin, RuntimeDep, SessionDep
from api.schemas import TokenCreated, TokenIn, TokenOut
from court.principals import issue_token
from storage.models import Token

router = APIRouter(prefix="/api/v1/tokens", tags=["tokens"])


def token_out(token: Token) -> TokenOut:
    return TokenOut.model_validate(token, from_attributes=True)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=TokenCreated)
async def create_token(body: TokenIn, session: SessionDep, _: Admin) -> TokenCreated:
    try:
        token, secret = await issue_token(
            session,
            role=body.role,
            name=body.name,
            courtroom_ids=body.courtroom_ids,
            camera=body.camera,
            expires_at=body.expires_at,
        )
    except ValueError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from error
    return TokenCreated(**token_out(token).model_dump(), token=secret)


@router.get("", response_model=list[TokenOut])
async def list_tokens(session: SessionDep, _: Admin) -> list[TokenOut]:
    return [
        token_out(token)
        for token in await session.scalars(select(Token).order_by(Token.created_at))
    ]


@router.delete("/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_token(
    token_id: str, session: SessionDep, runtime: RuntimeDep, _: Admin
) -> Response:
    """What the token started ends before this answers: viewers, publications (the live guard;
    event websockets and signed links check the token themselves)."""
    token = await session.get(Token, token_id)
    if token is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "token not found")
    if token.revoked_at is None:
        token.revoked_at = datetime.now(UTC)
        await session.commit()
        await runtime.live_guard.check_now()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
