"""Gaps in a recording's footage: where a camera's picture stops, why, and where it resumes.

A gap opens when footage stops for a reason (the publisher left, the spool filled, the
process crashed) and closes at the camera's next segment; the manifest lists them all.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Gap


async def recording_gaps(session: AsyncSession, *, recording_id: str) -> list[Gap]:
    return list(
        await session.scalars(
            select(Gap).where(Gap.recording_id == recording_id).order_by(Gap.started_at)
        )
    )


async def open_gap(
    session: AsyncSession, *, recording_id: str, camera: str, reason: str, at: datetime, detail: str
) -> None:
    """Start a gap for a camera, unless one is already open."""
    already = await session.scalar(
        select(Gap.id).where(
            Gap.recording_id == recording_id, Gap.camera == camera, Gap.ended_at.is_(None)
        )
    )
    if already is None:
        add_gap(
            session, recording_id=recording_id, camera=camera, reason=reason, at=at, detail=detail
        )


def add_gap(
    session: AsyncSession, *, recording_id: str, camera: str, reason: str, at: datetime, detail: str
) -> None:
    """Start a gap whatever else is open: a crash ends footage even inside another gap."""
    session.add(
        Gap(recording_id=recording_id, camera=camera, reason=reason, started_at=at, detail=detail)
    )


async def close_gaps(
    session: AsyncSession, *, recording_id: str, at: datetime, camera: str | None = None
) -> None:
    """End the open gaps (of one camera, or all) that began before `at`."""
    query = select(Gap).where(
        Gap.recording_id == recording_id, Gap.ended_at.is_(None), Gap.started_at <= at
    )
    if camera is not None:
        query = query.where(Gap.camera == camera)
    for gap in await session.scalars(query):
        gap.ended_at = at
