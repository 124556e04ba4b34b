"""Refusing to certify: the one way an export or a package ends when the archive is altered.

A conflict, not a failure: nothing is broken in the server; the archive's state conflicts
with what the court signed, and a retry will not help. The refusal is written to the audit
log first, so a clerk's failed attempt leaves a trace even though nothing was sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NoReturn

from sqlalchemy.ext.asyncio import AsyncSession

from court.errors import Conflict
from court.principals import Principal
from recorder.evidence_sources import EvidenceMismatch
from storage.audit import AuditLog


@dataclass(frozen=True, slots=True)
class Requester:
    """Who asked, for the audit log: the token, the path asked for, the client address."""

    principal: Principal
    target: str
    source: str


async def refuse_uncertifiable(
    session: AsyncSession,
    audit: AuditLog,
    requester: Requester,
    *,
    action: str,
    details: dict[str, Any],
    error: EvidenceMismatch,
    nothing_made: str,
) -> NoReturn:
    """Audit `action` with the object at fault, then refuse (Conflict) naming it."""
    principal = requester.principal
    await audit.append(
        session,
        actor=principal.name,
        role=principal.role,
        action=action,
        target=requester.target,
        source=requester.source,
        details={
            **details,
            "key": error.key,
            "reason": str(error),
            "token_id": principal.token_id,
        },
    )
    raise Conflict(
        f"the archive does not match what the court signed, so {nothing_made}: {error}",
        code="evidence_mismatch",
    )
