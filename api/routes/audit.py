"""The audit log for administrators: newest first, paginated by sequence number."""

from __future__ import annotations

from fastapi import APIRouter, Query

from api.deps import Admin, SessionDep
from api.schemas.audit import AuditEventOut, AuditPage
from court.audit_log import audit_page

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


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
