"""Refusing to certify: the one way an export or a package ends when the archive is altered.

409, not 500: nothing is broken in the server; the archive's state conflicts with what
the court signed, and a retry will not help. The refusal is written to the audit log
first, so a clerk's failed attempt leaves a trace even though nothing was sent.
"""

from __future__ import annotations

from typing import Any, NoReturn

from fastapi import Request, status
from sqlalchemy.ext.asyncio import AsyncSession

from api.error_codes import refusal
from court.principals import Principal
from court.runtime import Runtime
from recorder.evidence_sources import EvidenceMismatch


async def refuse_uncertifiable(
    session: AsyncSession,
    request: Request,
    runtime: Runtime,
    principal: Principal,
    *,
    action: str,
    details: dict[str, Any],
    error: EvidenceMismatch,
    nothing_made: str,
) -> NoReturn:
    """Audit `action` with the object at fault, then answer 409 naming it."""
    await runtime.audit.append(
        session,
        actor=principal.name,
        role=principal.role,
        action=action,
        target=request.url.path,
        source=request.client.host if request.client else "",
        details={
            **details,
            "key": error.key,
            "reason": str(error),
            "token_id": principal.token_id,
        },
    )
    raise refusal(
        status.HTTP_409_CONFLICT,
        f"the archive does not match what the court signed, so {nothing_made}: {error}",
        "evidence_mismatch",
    )
