"""Who may watch a hearing live, decided in one place for WHEP and live HLS.

Sealed hearings answer 404 exactly like unknown ones (never 403, which would
confirm they exist). Public hearings are open while the court broadcasts them;
restricted ones need a staff token or a valid access code (`?code=`), within
the code's viewer limit. Staff always watch in real time, even when the
public feed is cut.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from fastapi import HTTPException, Request, status
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Role, bearer_secret, find_principal
from api.runtime import Runtime
from storage.models import AccessCode, Hearing

STAFF: frozenset[Role] = frozenset({"admin", "operator", "judge", "clerk"})
NOT_FOUND = "hearing not found"  # the same words for unknown and sealed hearings
STOPPED = "the court has stopped the broadcast of this hearing"

ViewerKind = Literal["staff", "public", "code"]


@dataclass(frozen=True, slots=True)
class Access:
    hearing: Hearing
    kind: ViewerKind
    code_id: str | None = None

    @property
    def real_time(self) -> bool:
        """Staff see the live edge; the public and code holders see the broadcast."""
        return self.kind == "staff"


def hash_code(code: str) -> str:
    return hashlib.sha256(code.strip().replace("-", "").replace(" ", "").encode()).hexdigest()


async def viewer_access(
    request: Request, session: AsyncSession, runtime: Runtime, hearing_id: str
) -> Access:
    """The caller's access to the hearing's live relay, or the HTTP error that says why not."""
    hearing = await session.get(Hearing, hearing_id)
    if hearing is None or hearing.visibility == "sealed":
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    secret = bearer_secret(request.headers.get("authorization"))
    if secret is not None:
        principal = await find_principal(
            session, secret=secret, admin_token=runtime.settings.admin_token
        )
        if (
            principal is not None
            and principal.role in STAFF
            and principal.may_use_courtroom(hearing.courtroom_id)
        ):
            return Access(hearing, "staff")
    code = request.query_params.get("code")
    if hearing.visibility == "public":
        access = Access(hearing, "public")
    elif code:
        access = Access(hearing, "code", await _valid_code(session, runtime, hearing_id, code))
    else:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "this hearing is restricted: enter the access code the court gave you",
        )
    if not (await runtime.broadcasts.state(session, hearing_id)).on:
        raise HTTPException(status.HTTP_403_FORBIDDEN, STOPPED)
    return access


async def _valid_code(session: AsyncSession, runtime: Runtime, hearing_id: str, code: str) -> str:
    found = await session.scalar(
        select(AccessCode).where(
            AccessCode.hearing_id == hearing_id, AccessCode.code_hash == hash_code(code)
        )
    )
    now = datetime.now(UTC)
    if (
        found is None
        or found.revoked_at is not None
        or (found.expires_at is not None and found.expires_at <= now)
    ):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this access code is not valid")
    if runtime.viewers.watching_with_code(found.id) >= found.max_viewers:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"this access code is already in use on {found.max_viewers} device(s)",
        )
    return found.id
