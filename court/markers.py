"""Time-coded markers on a recording: what an operator or clerk noted, and when it happened."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from court.principals import Principal
from court.visibility import visible_recording
from storage.models import Marker


async def add_marker(
    session: AsyncSession,
    principal: Principal,
    recording_id: str,
    *,
    at: datetime,
    kind: str,
    text: str,
) -> Marker:
    recording = await visible_recording(session, principal, recording_id)
    marker = Marker(recording_id=recording.id, at=at, kind=kind, text=text, author=principal.name)
    session.add(marker)
    await session.commit()
    return marker


async def markers(
    session: AsyncSession, principal: Principal, recording_id: str
) -> Sequence[Marker]:
    """In time order, so a player can lay them on its timeline."""
    recording = await visible_recording(session, principal, recording_id)
    found = await session.scalars(
        select(Marker).where(Marker.recording_id == recording.id).order_by(Marker.at, Marker.id)
    )
    return found.all()
