"""The audit log for administrators: newest first, paginated by sequence number."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from api.deps import Admin, SessionDep
from court.audit_log import audit_page

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


class AuditEventOut(BaseModel):
    sequence: int
    at: datetime
    actor: str
    role: str
    action: str
    target: str
    source: str
    details: dict[str, Any]
    hash: str
    chain: str  # "hmac-sha256" (keyed with the installation's secret) or "sha256" (legacy)


class AuditPage(BaseModel):
    items: list[AuditEventOut]
    next_before: int | None  # pass as `before` for the next (older) page


@router.get("", response_model=AuditPage)
async def audit_log(
    session: SessionDep,
    _: Admin,
    before: int | None = Query(None, ge=1, description="only entries older than this sequence"),
    action: str | None = Query(None, max_length=64),
    limit: int = Query(100, ge=1, le=1000),
) -> AuditPage:
    events, next_before = await audit_page(session, before=before, action=action, limit=limit)
    return AuditPage(
        items=[AuditEventOut.model_validate(event, from_attributes=True) for event in events],
        next_before=next_before,
    )
