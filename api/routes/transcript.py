"""The time-coded court record of a recording (庭审记录), shown in sync with the video.

Clerks write it while the hearing runs and correct it afterwards; a correction never
overwrites: every version of a line is kept in transcript_revisions, the first included,
so the record can show what was said was written and who changed it when.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from sqlalchemy import select

from api.deps import SessionDep, Staff, require
from api.schemas import TranscriptEdit, TranscriptLineIn, TranscriptLineOut, TranscriptRevisionOut
from api.visibility import visible_recording
from court.principals import Principal
from storage.models import TranscriptLine, TranscriptRevision

router = APIRouter(prefix="/api/v1/recordings", tags=["transcript"])

Writer = Annotated[Principal, Depends(require("admin", "operator", "clerk"))]


def line_out(line: TranscriptLine) -> TranscriptLineOut:
    return TranscriptLineOut.model_validate(line, from_attributes=True)


def keep_revision(session: SessionDep, line: TranscriptLine, by: str, at: datetime) -> None:
    session.add(
        TranscriptRevision(
            line_id=line.id,
            text=line.text,
            speaker_role=line.speaker_role,
            edited_at=at,
            edited_by=by,
        )
    )


async def find_line(
    session: SessionDep, principal: Principal, recording_id: str, line_id: str
) -> TranscriptLine:
    await visible_recording(session, principal, recording_id)
    line = await session.get(TranscriptLine, line_id)
    if line is None or line.recording_id != recording_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "transcript line not found")
    return line


@router.post(
    "/{recording_id}/transcript",
    status_code=status.HTTP_201_CREATED,
    response_model=TranscriptLineOut,
)
async def add_line(
    recording_id: str, body: TranscriptLineIn, session: SessionDep, principal: Writer
) -> TranscriptLineOut:
    recording = await visible_recording(session, principal, recording_id)
    now = datetime.now(UTC)
    line = TranscriptLine(
        recording_id=recording.id,
        at=body.at,
        speaker_role=body.speaker_role.strip(),
        text=body.text,
        author=principal.name,
        created_at=now,
    )
    session.add(line)
    await session.flush()
    keep_revision(session, line, principal.name, now)
    await session.commit()
    return line_out(line)


@router.get("/{recording_id}/transcript", response_model=list[TranscriptLineOut])
async def list_lines(
    recording_id: str, session: SessionDep, principal: Staff
) -> list[TranscriptLineOut]:
    """The current text of every line, in the order they were spoken."""
    recording = await visible_recording(session, principal, recording_id)
    lines = await session.scalars(
        select(TranscriptLine)
        .where(TranscriptLine.recording_id == recording.id)
        .order_by(TranscriptLine.at, TranscriptLine.id)
    )
    return [line_out(line) for line in lines]


@router.put("/{recording_id}/transcript/{line_id}", response_model=TranscriptLineOut)
async def edit_line(
    recording_id: str, line_id: str, body: TranscriptEdit, session: SessionDep, principal: Writer
) -> TranscriptLineOut:
    line = await find_line(session, principal, recording_id, line_id)
    now = datetime.now(UTC)
    line.text = body.text
    line.speaker_role = body.speaker_role.strip()
    line.edited_at = now
    keep_revision(session, line, principal.name, now)
    await session.commit()
    return line_out(line)


@router.get(
    "/{recording_id}/transcript/{line_id}/history", response_model=list[TranscriptRevisionOut]
)
async def line_history(
    recording_id: str, line_id: str, session: SessionDep, principal: Staff
) -> list[TranscriptRevisionOut]:
    """Every version of the line, oldest (as first written) to newest (its current text)."""
    line = await find_line(session, principal, recording_id, line_id)
    revisions = await session.scalars(
        select(TranscriptRevision)
        .where(TranscriptRevision.line_id == line.id)
        .order_by(TranscriptRevision.edited_at, TranscriptRevision.id)
    )
    return [TranscriptRevisionOut.model_validate(r, from_attributes=True) for r in revisions]
