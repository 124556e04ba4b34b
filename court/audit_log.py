"""The audit log as administrators read it: newest first, a page at a time by sequence number
(the chain itself is written by api/audit_trail.py and checked by storage/audit.py)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.audit_models import AuditEvent


async def audit_page(
    session: AsyncSession, *, before: int | None, action: str | None, limit: int
) -> tuple[list[AuditEvent], int | None]:
    """Up to `limit` entries older than `before` (all when None), only of `action` if named,
    and the `before` of the next page (None on the last one)."""
    query = select(AuditEvent).order_by(AuditEvent.sequence.desc()).limit(limit)
    if before is not None:
        query = query.where(AuditEvent.sequence < before)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    events = list(await session.scalars(query))
    return events, events[-1].sequence if len(events) == limit else None
