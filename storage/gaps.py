"""Gaps in a recording's footage: where a camera's picture stops, why, and where it resumes.

A gap opens when footage stops for a reason (the publisher left, the spool filled, the
process crashed) and closes at the camera's next segment; the manifest lists them all.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.gap_models import Gap
from storage.leases import Fence, check_fence
from storage.models import new_id


async def recording_gaps(session: AsyncSession, *, recording_id: str) -> list[Gap]:
    return list(
        await session.scalars(
            select(Gap).where(Gap.recording_id == recording_id).order_by(Gap.started_at)
        )
    )


async def open_gaps(session: AsyncSession, *, recording_id: str) -> list[Gap]:
    """The recording's gaps still open, whoever opened them."""
    return list(
        await session.scalars(
            select(Gap).where(Gap.recording_id == recording_id, Gap.ended_at.is_(None))
        )
    )


async def add_gap(
    session: AsyncSession,
    *,
    recording_id: str,
    camera: str,
    reason: str,
    at: datetime,
    detail: str,
    after_epoch: int,
    unless_open: bool = False,
    fence: Fence | None = None,
) -> str:
    """Start a gap for a camera (a crash ends footage even inside another gap); with
    `unless_open`, the camera's gap already open goes on instead. The id of the gap open.
    `after_epoch`: the camera's footage before the gap is numbered up to that epoch. Fenced
    as a segment's row is: a node that lost the courtroom says nothing more of its footage."""
    if fence is not None:
        await check_fence(session, fence)
    if unless_open:
        already = await session.scalar(
            select(Gap.id).where(
                Gap.recording_id == recording_id, Gap.camera == camera, Gap.ended_at.is_(None)
            )
        )
        if already is not None:
            return already
    gap_id = new_id()
    session.add(
        Gap(
            id=gap_id,
            recording_id=recording_id,
            camera=camera,
            reason=reason,
            started_at=at,
            detail=detail,
            after_epoch=after_epoch,
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
