"""A hearing: scheduling, its states, and search results a judge recognises."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.cases import PartyOut
from api.schemas.recordings import RecordingSummary
from api.time_range import BoundedDatetime


class HearingIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "case_id": "5f0c8e2a9b1d4c3e8f7a6b5c4d3e2f1a",
                    "courtroom_id": "9a8b7c6d5e4f4a3b2c1d0e9f8a7b6c5d",
                    "title": "假释听证（监狱法庭）",
                    "scheduled_start": "2026-11-26T01:30:00Z",
                    "visibility": "restricted",
                    "presiding_judge": "王法官",
                }
            ]
        }
    )

    case_id: str
    courtroom_id: str
    title: str = Field(min_length=1, max_length=2000)
    scheduled_start: BoundedDatetime
    visibility: Literal["public", "restricted", "sealed"] = "public"
    presiding_judge: str | None = Field(default=None, min_length=1, max_length=200)


# "closed" and "cancelled" are final; a cancelled hearing never opened
HearingStatus = Literal["scheduled", "in_session", "recess", "closed", "cancelled"]


class HearingOut(BaseModel):
    id: str
    case_id: str
    courtroom_id: str
    title: str
    scheduled_start: datetime
    visibility: str
    status: str
    created_at: datetime
    presiding_judge: str | None = None
    actual_start: datetime | None = None
    actual_end: datetime | None = None


class HearingPatch(BaseModel):
    """Fields left out stay as they are; a status change stamps the actual start or end.
    `scheduled_start` and `courtroom_id` move a hearing, only while it is scheduled."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"status": "recess"},
                {"presiding_judge": "王法官"},
                {
                    "scheduled_start": "2026-11-27T01:30:00Z",
                    "courtroom_id": "9a8b7c6d5e4f4a3b2c1d0e9f8a7b6c5d",
                },
                {"status": "cancelled"},
            ]
        }
    )

    status: HearingStatus | None = None
    scheduled_start: BoundedDatetime | None = None
    courtroom_id: str | None = None
    presiding_judge: str | None = Field(default=None, min_length=1, max_length=200)
    # sealing takes effect on live viewers and signed links at once
    visibility: Literal["public", "restricted", "sealed"] | None = None


class HearingResult(HearingOut):
    """A search result: the hearing and what a judge recognises it by."""

    case_number: str  # as entered
    case_title: str
    courtroom_name: str
    parties: list[PartyOut]
    recordings: list[RecordingSummary]  # oldest first


class HearingPage(BaseModel):
    items: list[HearingResult]
    next: str | None = Field(description="cursor of the next page; null on the last page")
