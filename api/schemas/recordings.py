"""A recording: its cameras' tracks, its gaps, search pages and markers."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.time_range import BoundedDatetime


class TrackOut(BaseModel):
    camera: str
    duration_s: float
    segments: int
    bytes: int
    frames: int
    first_segment_at: datetime | None
    last_segment_end: datetime | None
    epochs: int
    publishing: bool
    playlist: str


class GapOut(BaseModel):
    """Time not recorded: a camera that left ("publisher_left") or a crash ("crash")."""

    camera: str | None
    reason: str
    started_at: datetime
    ended_at: datetime | None
    duration_s: float | None
    detail: str


class RecordingSummary(BaseModel):
    """A search result: what identifies a recording, without its per-camera totals."""

    id: str
    hearing_id: str
    courtroom_id: str
    status: str
    started_at: datetime
    stopped_at: datetime | None


class RecordingOut(RecordingSummary):
    tracks: list[TrackOut]
    gaps: list[GapOut]
    manifest_sha256: str | None
    retention_class: str | None
    retain_until: datetime | None


class RecordingPage(BaseModel):
    items: list[RecordingSummary]
    next: str | None = Field(description="cursor of the next page; null on the last page")


MarkerKind = Literal[
    "note",
    "recess",
    "resume",
    "off_record_start",
    "off_record_end",
    "witness_sworn",
    "exhibit_shown",
]


class MarkerIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"at": "2026-03-02T09:15:00+08:00", "kind": "off_record_start", "text": "调解"}
            ]
        }
    )

    at: BoundedDatetime
    kind: MarkerKind
    text: str = Field("", max_length=10_000)

    @model_validator(mode="after")
    def off_record_has_reason(self) -> MarkerIn:
        if self.kind == "off_record_start" and not self.text.strip():
            raise ValueError("an off_record_start marker needs its reason in text")
        return self


class MarkerOut(BaseModel):
    id: str
    recording_id: str
    at: datetime
    kind: str
    text: str
    author: str | None
    created_at: datetime
