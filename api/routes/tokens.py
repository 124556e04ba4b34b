"""API tokens, created by an admin; the secret is shown once and only its hash is kept
(court/tokens.py)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from api.deps import Admin, RuntimeDep, SessionDep
from api.schemas.tokens import TokenCreated, TokenIn, TokenOut
from court import tokens
from storage.models import Token

router = APIRouter(prefix="/api/v1/tokens", tags=["tokens"])


def token_out(token: Token) -> TokenOut:
    return TokenOut.model_validate(token, from_attributes=True)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=TokenCreated)
async def create_token(body: TokenIn, session: SessionDep, _: Admin) -> TokenCreated:
    request = tokens.TokenRequest(**body.model_dump())
    token, secret = await tokens.create_token(session, request)
    return TokenCreated(**token_out(token).model_dump(), token=secret)


@router.get("", response_model=list[TokenOut])
async def list_tokens(session: SessionDep, _: Admin) -> list[TokenOut]:
    return [token_out(token) for token in await tokens.list_tokens(session)]


@router.delete("/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_token(
    token_id: str, session: SessionDep, runtime: RuntimeDep, _: Admin
) -> Response:
    """What the token started ends before this answers: viewers, publications (the live guard;
    event websockets and signed links check the token themselves)."""
    if await tokens.revoke_token(session, token_id):
        await runtime.live_guard.check_now()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
