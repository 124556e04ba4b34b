"""The record in the room: the clerk's record of a hearing as shown while it is written, on
the courtroom's display and in the captions of `/watch` (庭审记录同步显示).

What is shown: the lines of the hearing's recordings that are not staff-only, each as it stood
at the viewer's cutoff: now for staff, now minus the broadcast delay for everyone else, so the
shown record never tells what the delay holds back. Only the newest SHOWN_LINES lines are
sent: a display shows the last few, and a viewer who wants the whole record reads it in
review. Its version is the number of shown revisions written at or before the cutoff;
revisions are written once, in time order, so two answers with one version are the same
record (court/live/record_watch.py waits on it and keeps answers by it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from storage.models import Recording, TranscriptLine, TranscriptRevision

SHOWN_LINES = 40


@dataclass(frozen=True, slots=True)
class ShownLine:
    id: str
    at: datetime  # when it was said
    speaker_role: str
    text: str
    corrected: bool  # shown as corrected: an earlier version was shown before


def _shown_revisions(hearing_id: str, cutoff: datetime) -> Select[int]:
    return (
        select(func.count())
        .select_from(TranscriptRevision)
        .join(TranscriptLine, TranscriptLine.id == TranscriptRevision.line_id)
        .join(Recording, Recording.id == TranscriptLine.recording_id)
        .where(
            Recording.hearing_id == hearing_id,
            TranscriptLine.staff_only.is_(False),
            TranscriptRevision.edited_at <= cutoff,
        )
    )


async def shown_version(session: AsyncSession, hearing_id: str, cutoff: datetime) -> int:
    return await session.scalar(_shown_revisions(hearing_id, cutoff)) or 0


async def shown_lines(session: AsyncSession, hearing_id: str, cutoff: datetime) -> list[ShownLine]:
    """The newest SHOWN_LINES lines of the hearing's shown record at `cutoff`."""
    newest = (
        select(TranscriptLine.id)
        .join(Recording, Recording.id == TranscriptLine.recording_id)
        .where(
            Recording.hearing_id == hearing_id,
            TranscriptLine.staff_only.is_(False),
            TranscriptLine.created_at <= cutoff,
        )
        .order_by(TranscriptLine.at.desc(), TranscriptLine.id.desc())
        .limit(SHOWN_LINES)
    )
    rows = await session.execute(
        select(TranscriptLine.id, TranscriptLine.at, TranscriptRevision)
        .join(TranscriptRevision, TranscriptRevision.line_id == TranscriptLine.id)
        .where(TranscriptLine.id.in_(newest), TranscriptRevision.edited_at <= cutoff)
        .order_by(TranscriptLine.at, TranscriptLine.id)
        .order_by(TranscriptRevision.edited_at, TranscriptRevision.id)
    )
    lines: dict[str, ShownLine] = {}
    for line_id, at, revision in rows:
        earlier = lines.get(line_id)
        lines[line_id] = ShownLine(
            line_id, at, revision.speaker_role, revision.text, corrected=earlier is not None
        )
    return list(lines.values())
