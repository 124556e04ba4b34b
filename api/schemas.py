"""Request and response bodies of the JSON API (ids are strings, times ISO 8601 UTC)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from api.time_range import BoundedDatetime
from court.principals import Role
from storage.keys import is_safe_part

CameraName = str
CAMERA_NAME_RULE = "must be 1-64 letters, digits, '.', '_' or '-'"


def check_camera_names(cameras: list[str]) -> list[str]:
    """Names go into WHIP URLs and object keys: safe characters, unique within a room."""
    for camera in cameras:
        if not is_safe_part(camera) or len(camera) > 64:
            raise ValueError(f"camera name {camera!r} {CAMERA_NAME_RULE}")
    if len(set(cameras)) != len(cameras):
        raise ValueError("camera names must be unique within a courtroom")
    return cameras


class CameraLabel(BaseModel):
    """A camera's display names (审判席 / Bench); null where unset, and pages show the name."""

    zh: str | None = Field(default=None, max_length=64)
    en: str | None = Field(default=None, max_length=64)

    @model_validator(mode="after")
    def blank_is_unset(self) -> CameraLabel:
        self.zh = (self.zh or "").strip() or None
        self.en = (self.en or "").strip() or None
        return self


class CourtroomIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "第三法庭",
                    "kind": "courtroom",
                    "cameras": ["bench", "witness"],
                    "camera_labels": {"bench": {"zh": "审判席", "en": "Bench"}},
                }
            ]
        }
    )

    name: str = Field(min_length=1, max_length=200)
    kind: Literal["courtroom", "prison"] = "courtroom"
    cameras: list[CameraName] = Field(min_length=1, max_length=32)
    court_id: str | None = None
    camera_labels: dict[CameraName, CameraLabel] = Field(default={}, max_length=32)

    @field_validator("cameras")
    @classmethod
    def cameras_are_names(cls, cameras: list[str]) -> list[str]:
        return check_camera_names(cameras)

    @model_validator(mode="after")
    def labels_name_cameras(self) -> CourtroomIn:
        unknown = sorted(set(self.camera_labels) - set(self.cameras))
        if unknown:
            raise ValueError(f"camera_labels name cameras not in cameras: {', '.join(unknown)}")
        return self


class CameraIn(CameraLabel):
    name: CameraName


class CamerasIn(BaseModel):
    """A courtroom's cameras in display order, each with its display names."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "cameras": [
                        {"name": "bench", "zh": "审判席", "en": "Bench"},
                        {"name": "witness", "zh": "证人席", "en": "Witness stand"},
                    ]
                }
            ]
        }
    )

    cameras: list[CameraIn] = Field(min_length=1, max_length=32)

    @field_validator("cameras")
    @classmethod
    def cameras_are_names(cls, cameras: list[CameraIn]) -> list[CameraIn]:
        check_camera_names([camera.name for camera in cameras])
        return cameras


class CourtroomOut(BaseModel):
    id: str
    court_id: str
    name: str
    kind: str
    cameras: list[str]
    camera_labels: dict[str, CameraLabel] = Field(
        default={}, description="display names of every camera, by camera name"
    )
    publishing: list[str] = []
    created_at: datetime


class PartyIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    role: str = Field(min_length=1, max_length=32, description="e.g. 原告, 被告, plaintiff")


class PartyOut(BaseModel):
    name: str
    role: str


class CaseIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "number": "(2026)湘04民初123号",
                    "title": "张三诉李四合同纠纷",
                    "parties": [{"name": "张三", "role": "原告"}, {"name": "李四", "role": "被告"}],
                }
            ]
        }
    )

    number: str = Field(min_length=1, max_length=100)
    title: str = Field(min_length=1, max_length=2000)
    court_id: str | None = None
    case_type: str = Field(default="default", min_length=1, max_length=32)  # a retention class
    parties: list[PartyIn] = Field(default=[], max_length=200)


class CasePatch(BaseModel):
    """Fields left out stay as they are; `parties`, when given, replaces the whole list."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "title": "张三诉李四合同纠纷",
                    "parties": [{"name": "张三", "role": "原告"}, {"name": "李四", "role": "被告"}],
                }
            ]
        }
    )

    title: str | None = Field(default=None, min_length=1, max_length=2000)
    parties: list[PartyIn] | None = Field(default=None, max_length=200)


class CaseOut(BaseModel):
    id: str
    court_id: str
    number: str
    title: str
    case_type: str
    legal_hold: bool
    created_at: datetime
    parties: list[PartyOut] = []


class LegalHoldIn(BaseModel):
    on: bool


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


class RecordingOut(BaseModel):
    id: str
    hearing_id: str
    courtroom_id: str
    status: str
    started_at: datetime
    stopped_at: datetime | None
    tracks: list[TrackOut]
    gaps: list[GapOut]
    manifest_sha256: str | None
    retention_class: str | None
    retain_until: datetime | None


class RecordingSummary(BaseModel):
    """A search result: what identifies a recording, without its per-camera totals."""

    id: str
    hearing_id: str
    courtroom_id: str
    status: str
    started_at: datetime
    stopped_at: datetime | None


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


class TranscriptLineOut(BaseModel):
    id: str
    recording_id: str
    at: datetime
    speaker_role: str
    text: str
    author: str | None
    created_at: datetime
    edited_at: datetime | None


class TranscriptRevisionOut(BaseModel):
    speaker_role: str
    text: str
    edited_at: datetime
    edited_by: str | None


class TokenIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"role": "operator", "name": "第三法庭书记员", "courtroom_ids": []},
                {
                    "role": "camera",
                    "name": "审判席摄像机",
                    "courtroom_ids": ["9a8b7c6d5e4f4a3b2c1d0e9f8a7b6c5d"],
                    "camera": "bench",
                    "expires_at": "2027-01-01T00:00:00+08:00",
                },
            ]
        }
    )

    role: Role
    name: str = Field(min_length=1, max_length=200)
    courtroom_ids: list[str] = []
    camera: str | None = None
    expires_at: BoundedDatetime | None = None


class TokenOut(BaseModel):
    id: str
    name: str
    role: str
    courtroom_ids: list[str]
    camera: str | None
    expires_at: datetime | None
    revoked_at: datetime | None
    created_at: datetime


class TokenCreated(TokenOut):
    token: str = Field(description="the secret: shown once, only its hash is kept")
