"""A recording's transcript lines and their revisions."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from api.time_range import BoundedDatetime


class TranscriptEdit(BaseModel):
    speaker_role: str = Field(min_length=1, max_length=64, description="e.g. 审判长, 原告, 证人")
    text: str = Field(min_length=1, max_length=10_000)


class TranscriptLineIn(TranscriptEdit):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"at": "2026-03-02T09:01:05+08:00", "speaker_role": "审判长", "text": "现在开庭。"}
            ]
        }
    )

    at: BoundedDatetime
    staff_only: bool = Field(
        default=False, description="for the bench only: never on the display or to live viewers"
    )


class TranscriptLineOut(BaseModel):
    id: str
    recording_id: str
    at: datetime
    speaker_role: str
    text: str
    author: str | None
    created_at: datetime
    edited_at: datetime | None
    staff_only: bool


class TranscriptRevisionOut(BaseModel):
    speaker_role: str
    text: str
    edited_at: datetime
    edited_by: str | None
