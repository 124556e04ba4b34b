"""A sitting: a courtroom's running order of hearings held back to back."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from api.time_range import BoundedDatetime
from court.sittings import MAX_ENTRIES


class SittingIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "courtroom_id": "9a8b7c6d5e4f4a3b2c1d0e9f8a7b6c5d",
                    "title": "减刑假释案件集中开庭（第三批）",
                    "scheduled_start": "2026-12-03T01:30:00Z",
                    "hearing_ids": [
                        "5f0c8e2a9b1d4c3e8f7a6b5c4d3e2f1a",
                        "0a1b2c3d4e5f46a7b8c9d0e1f2a3b4c5",
                    ],
                }
            ]
        }
    )

    courtroom_id: str
    title: str = Field(min_length=1, max_length=2000)
    scheduled_start: BoundedDatetime
    hearing_ids: list[str] = Field(min_length=1, max_length=MAX_ENTRIES)


class SittingEntryOut(BaseModel):
    position: int
    hearing_id: str
    title: str
    case_number: str
    case_title: str
    visibility: str
    status: str  # the hearing's
    actual_start: datetime | None = None
    actual_end: datetime | None = None


class SittingOut(BaseModel):
    id: str
    courtroom_id: str
    title: str
    scheduled_start: datetime
    status: str  # planned, running, ended
    position: int | None = None  # the entry in session while the sitting runs
    created_by: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    entries: list[SittingEntryOut]
