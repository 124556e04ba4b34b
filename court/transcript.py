"""The time-coded court record of a recording (庭审记录), shown in sync with the video.

Clerks write it while the hearing runs and correct it afterwards; a correction never
overwrites: every version of a line is kept in transcript_revisions, the first included,
so the record can show what was written and who changed it when.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from court.errors import NotFound
from storage.models import Recording, TranscriptLine, TranscriptRevision


def _keep_revision(session: AsyncSession, line: TranscriptLine, by: str, at: datetime) -> None:
    session.add(
        TranscriptRevision(
            line_id=line.id,
            text=line.text,
            speaker_role=line.speaker_role,
            edited_at=at,
            edited_by=by,
        )
    )


async def add_line(
    session: AsyncSession,
    recording: Recording,
    *,
    at: datetime,
    speaker_role: str,
    text: str,
    by: str,
    staff_only: bool = False,
) -> TranscriptLine:
    """A new line said `at` (court time) in the recording, its first version kept as a revision.
    A staff-only line is never shown on the courtroom's display or to live viewers."""
    now = datetime.now(UTC)
    line = TranscriptLine(
        recording_id=recording.id,
        at=at,
        speaker_role=speaker_role.strip(),
        text=text,
        author=by,
        created_at=now,
        staff_only=staff_only,
    )
    session.add(line)
    await session.flush()
    _keep_revision(session, line, by, now)
    await session.commit()
    return line


async def lines(session: AsyncSession, recording: Recording) -> list[TranscriptLine]:
    """The current text of every line, in the order they were spoken."""
    found = await session.scalars(
        select(TranscriptLine)
        .where(TranscriptLine.recording_id == recording.id)
        .order_by(TranscriptLine.at, TranscriptLine.id)
    )
    return list(found)


async def find_line(session: AsyncSession, recording: Recording, line_id: str) -> TranscriptLine:
    line = await session.get(TranscriptLine, line_id)
    if line is None or line.recording_id != recording.id:
        raise NotFound("transcript line not found")
    return line


async def edit_line(
    session: AsyncSession, line: TranscriptLine, *, speaker_role: str, text: str, by: str
) -> None:
    """Correct a line, keeping the new version beside the old ones."""
    now = datetime.now(UTC)
    line.text = text
    line.speaker_role = speaker_role.strip()
    line.edited_at = now
    _keep_revision(session, line, by, now)
    await session.commit()


async def history(session: AsyncSession, line: TranscriptLine) -> list[TranscriptRevision]:
    """Every version of the line, oldest (as first written) to newest (its current text)."""
    revisions = await session.scalars(
        select(TranscriptRevision)
        .where(TranscriptRevision.line_id == line.id)
        .order_by(TranscriptRevision.edited_at, TranscriptRevision.id)
    )
    return list(revisions)
