"""Gaps in a recording's footage: where a camera's picture stops, why, and where it resumes.

A gap opens when footage stops for a reason (the publisher left, the spool filled, the
process crashed) and closes at the camera's next segment; the manifest lists them all.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Gap, new_id


async def recording_gaps(session: AsyncSession, *, recording_id: str) -> list[Gap]:
    return list(
        await session.scalars(
            select(Gap).where(Gap.recording_id == recording_id).order_by(Gap.started_at)
        )
    )


async def open_gap(
    session: AsyncSession, *, recording_id: str, camera: str, reason: str, at: datetime, detail: str
) -> str:
    """Start a gap for a camera, unless one is already open; the id of the gap open."""
    already = await session.scalar(
        select(Gap.id).where(
            Gap.recording_id == recording_id, Gap.camera == camera, Gap.ended_at.is_(None)
        )
    )
    if already is not None:
        return already
    return add_gap(
        session, recording_id=recording_id, camera=camera, reason=reason, at=at, detail=detail
    )


def add_gap(
    session: AsyncSession, *, recording_id: str, camera: str, reason: str, at: datetime, detail: str
) -> str:
    """Start a gap whatever else is open (a crash ends footage even inside another gap);
    its id."""
    gap_id = new_id()
    session.add(
        Gap(
            id=gap_id,
            recording_id=recording_id,
            camera=camera,
            reason=reason,
            started_at=at,
            detail=detail,
        )
    )
    return gap_id


async def end_gaps(session: AsyncSession, gap_ids: list[str], at: datetime) -> None:
    """End these gaps where their camera's footage came back, `at` by the camera's clock."""
    await _end(session, select(Gap).where(Gap.id.in_(gap_ids)), at)


async def close_gaps(session: AsyncSession, *, recording_id: str, at: datetime) -> None:
    """The recording stopped at `at`: every gap of it still open ends there."""
    await _end(session, select(Gap).where(Gap.recording_id == recording_id), at)


async def _end(session: AsyncSession, gaps: Select[Gap], at: datetime) -> None:
    """End the open ones of `gaps` at `at`, never before one began: a camera whose clock runs
    behind the server's stamps its footage earlier than the server saw it leave, and such a
    gap is kept on record with no length rather than left open or running backwards."""
    for gap in await session.scalars(gaps.where(Gap.ended_at.is_(None))):
        gap.ended_at = max(at, gap.started_at)
