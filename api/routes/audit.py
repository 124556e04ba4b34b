"""The audit log for administrators: newest first, paginated by sequence number."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import select

from api.deps import Admin, SessionDep
from storage.models import AuditEvent

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
    query = select(AuditEvent).order_by(AuditEvent.sequence.desc()).limit(limit)
    if before is not None:
        query = query.where(AuditEvent.sequence < before)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    events = list(await session.scalars(query))
    return AuditPage(
        items=[AuditEventOut.model_validate(event, from_attributes=True) for event in events],
        next_before=events[-1].sequence if len(events) == limit else None,
    )
