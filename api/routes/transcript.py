"""The time-coded court record of a recording (庭审记录), shown in sync with the video; every
version of a line is kept (court/transcript.py)."""

from __future__ import annotations

from fastapi import APIRouter, status

from api.deps import SessionDep, Staff, VisibleRecording, Writer
from api.schemas.transcript import (
    TranscriptEdit,
    TranscriptLineIn,
    TranscriptLineOut,
    TranscriptRevisionOut,
)
from court import transcript
from storage.models import TranscriptLine

router = APIRouter(prefix="/api/v1/recordings", tags=["transcript"])


def line_out(line: TranscriptLine) -> TranscriptLineOut:
    return TranscriptLineOut.model_validate(line, from_attributes=True)


@router.post(
    "/{recording_id}/transcript",
    status_code=status.HTTP_201_CREATED,
    response_model=TranscriptLineOut,
)
async def add_line(
    body: TranscriptLineIn, session: SessionDep, principal: Writer, recording: VisibleRecording
) -> TranscriptLineOut:
    line = await transcript.add_line(
        session,
        recording,
        at=body.at,
        speaker_role=body.speaker_role,
        text=body.text,
        by=principal.name,
        staff_only=body.staff_only,
    )
    return line_out(line)


@router.get("/{recording_id}/transcript", response_model=list[TranscriptLineOut])
async def list_lines(
    session: SessionDep, _: Staff, recording: VisibleRecording
) -> list[TranscriptLineOut]:
    """The current text of every line, in the order they were spoken."""
    return [line_out(line) for line in await transcript.lines(session, recording)]


@router.put("/{recording_id}/transcript/{line_id}", response_model=TranscriptLineOut)
async def edit_line(
    line_id: str,
    body: TranscriptEdit,
    session: SessionDep,
    principal: Writer,
    recording: VisibleRecording,
) -> TranscriptLineOut:
    line = await transcript.find_line(session, recording, line_id)
    await transcript.edit_line(
        session, line, speaker_role=body.speaker_role, text=body.text, by=principal.name
    )
    return line_out(line)


@router.get(
    "/{recording_id}/transcript/{line_id}/history", response_model=list[TranscriptRevisionOut]
)
async def line_history(
    line_id: str, session: SessionDep, _: Staff, recording: VisibleRecording
) -> list[TranscriptRevisionOut]:
    """Every version of the line, oldest (as first written) to newest (its current text)."""
    line = await transcript.find_line(session, recording, line_id)
    revisions = await transcript.history(session, line)
    return [TranscriptRevisionOut.model_validate(r, from_attributes=True) for r in revisions]
