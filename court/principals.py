"""Bearer tokens: the installation's admin token and tokens an admin creates.

Secrets are random and long, so a plain SHA-256 is enough to keep them
unrecoverable at rest while staying a single indexed lookup per request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Courtroom, Token

Role = Literal["admin", "operator", "judge", "clerk", "supervisor", "camera", "screen"]
ROLES: tuple[Role, ...] = ("admin", "operator", "judge", "clerk", "supervisor", "camera", "screen")
# staff read the court's records; a supervisor (a court leader overseeing hearings) only reads
STAFF_ROLES: frozenset[Role] = frozenset({"admin", "operator", "judge", "clerk", "supervisor"})
# a viewing point's kind of place; what it may show is never a sealed hearing
PLACES = ("cell_block", "education_hall", "visiting_room", "courtroom", "other")
SCREEN_VISIBILITIES = frozenset({"public", "restricted"})
ADMIN_TOKEN_NAME = "admin (COURTCAST_ADMIN_TOKEN)"
TOKEN_PREFIX = "cct_"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: what the routes check roles and courtrooms against."""

    name: str
    role: Role
    token_id: str | None = None
    courtroom_ids: frozenset[str] = field(default_factory=frozenset)
    camera: str | None = None
    visibilities: frozenset[str] = field(default_factory=frozenset)  # a screen's grant

    def may_show(self, courtroom_id: str, visibility: str) -> bool:
        """A viewing point's grant: this courtroom's hearings of this visibility."""
        return (
            self.role == "screen"
            and courtroom_id in self.courtroom_ids
            and visibility in self.visibilities
        )

    def may_use_courtroom(self, courtroom_id: str) -> bool:
        """Tokens without a courtroom list reach every courtroom."""
        return not self.courtroom_ids or courtroom_id in self.courtroom_ids


def new_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def bearer_secret(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer ...` header, or None."""
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


async def find_principal(
    session: AsyncSession, *, secret: str, admin_token: str | None, now: datetime | None = None
) -> Principal | None:
    """Resolve a presented secret; None when it is unknown, expired or revoked."""
    if admin_token and hmac.compare_digest(secret.encode(), admin_token.encode()):
        return Principal(name=ADMIN_TOKEN_NAME, role="admin")
    token = await session.scalar(select(Token).where(Token.secret_hash == hash_secret(secret)))
    return _principal(token, now or datetime.now(UTC)) if token is not None else None


async def principals_by_id(
    session: AsyncSession, token_ids: Collection[str], now: datetime | None = None
) -> dict[str, Principal]:
    """The tokens among `token_ids` that are still valid: what running sessions are re-checked
    against, so a revoked or expired token ends what it started."""
    if not token_ids:
        return {}
    now = now or datetime.now(UTC)
    tokens = await session.scalars(select(Token).where(Token.id.in_(list(token_ids))))
    found = {token.id: _principal(token, now) for token in tokens}
    return {token_id: principal for token_id, principal in found.items() if principal}


ADMIN_SUBJECT = "admin"  # what links handed out to the installation's admin token are signed for


def link_subject(principal: Principal) -> str:
    """What a signed link handed to `principal` names: its token id, so revoking it bites."""
    return principal.token_id or ADMIN_SUBJECT


async def principal_for_subject(
    session: AsyncSession, subject: str, *, admin_token: str | None
) -> Principal | None:
    """The principal a signed link was handed to, if its token is still valid."""
    if subject == ADMIN_SUBJECT:
        return Principal(name=ADMIN_TOKEN_NAME, role="admin") if admin_token else None
    return (await principals_by_id(session, [subject])).get(subject)


def _principal(token: Token, now: datetime) -> Principal | None:
    if token.revoked_at is not None:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    return Principal(
        name=token.name,
        role=token.role,  # type: ignore[arg-type]  # checked against ROLES on creation
        token_id=token.id,
        courtroom_ids=frozenset(token.courtroom_ids),
        camera=token.camera,
        visibilities=frozenset(token.visibilities or ()),
    )


async def issue_token(
    session: AsyncSession,
    *,
    role: Role,
    name: str,
    courtroom_ids: list[str],
    camera: str | None,
    expires_at: datetime | None,
    place: str | None = None,
    visibilities: list[str] | None = None,
) -> tuple[Token, str]:
    """Create a token (API and CLI alike); raises ValueError when its scope names nothing real."""
    if role == "camera" and (len(courtroom_ids) != 1 or not camera):
        raise ValueError("a camera token names exactly one courtroom and its camera")
    _check_screen(role, courtroom_ids, place, visibilities)
    for courtroom_id in courtroom_ids:
        courtroom = await session.get(Courtroom, courtroom_id)
        if courtroom is None:
            raise ValueError(f"unknown courtroom {courtroom_id}")
        if camera and camera not in {c.name for c in courtroom.cameras}:
            raise ValueError(f"courtroom {courtroom_id} has no camera {camera!r}")
    secret = new_secret()
    token = Token(
        name=name,
        role=role,
        secret_hash=hash_secret(secret),
        courtroom_ids=courtroom_ids,
        camera=camera,
        expires_at=expires_at,
        place=place,
        visibilities=sorted(set(visibilities)) if visibilities else None,
    )
    session.add(token)
    await session.commit()
    return token, secret


def _check_screen(
    role: Role, courtroom_ids: list[str], place: str | None, visibilities: list[str] | None
) -> None:
    """A screen names its courtrooms, its place and what it may show (never sealed); no other
    role has a place or visibilities."""
    if role != "screen":
        if place is not None or visibilities is not None:
            raise ValueError("only a screen token has a place and visibilities")
        return
    if not courtroom_ids:
        raise ValueError("a screen token names the courtrooms it may show")
    if place not in PLACES:
        raise ValueError(f"a screen's place is one of: {', '.join(PLACES)}")
    if not visibilities or not set(visibilities) <= SCREEN_VISIBILITIES:
        raise ValueError("a screen shows public or restricted hearings, never sealed ones")


async def link_or_bearer_principal(
    session: AsyncSession, *, subject: str | None, secret: str | None, admin_token: str | None
) -> Principal | None:
    """Who fetches an archived object: the token a signed link was handed to (judged again
    now), else the bearer token presented; None when neither is valid."""
    if subject is not None:
        return await principal_for_subject(session, subject, admin_token=admin_token)
    if secret:
        return await find_principal(session, secret=secret, admin_token=admin_token)
    return None
