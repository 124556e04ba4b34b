"""A courtroom and its cameras: names safe for WHIP URLs and object keys, display labels."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from court.program import PROGRAM
from storage.keys import is_safe_part
from storage.models import Camera

CameraName = str
CAMERA_NAME_RULE = "must be 1-64 letters, digits, '.', '_' or '-'"


def check_camera_names(cameras: list[str]) -> list[str]:
    """Names go into WHIP URLs and object keys: safe characters, unique within a room."""
    for camera in cameras:
        if not is_safe_part(camera) or len(camera) > 64:
            raise ValueError(f"camera name {camera!r} {CAMERA_NAME_RULE}")
        if camera == PROGRAM:
            raise ValueError(f"{PROGRAM!r} names the courtroom's program feed, not a camera")
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


def camera_labels(cameras: Iterable[Camera]) -> dict[str, CameraLabel]:
    """Each camera's display names by its name, as the pages show them."""
    return {camera.name: CameraLabel(zh=camera.label_zh, en=camera.label_en) for camera in cameras}


class CourtroomIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "第三法庭",
                    "kind": "courtroom",
                    "cameras": ["bench", "witness"],
                    "camera_labels": {"bench": {"zh": "审判席", "en": "Bench"}},
                    "evidence_sources": [],
                }
            ]
        }
    )

    name: str = Field(min_length=1, max_length=200)
    kind: Literal["courtroom", "prison"] = "courtroom"
    cameras: list[CameraName] = Field(min_length=1, max_length=32)
    court_id: str | None = None
    camera_labels: dict[CameraName, CameraLabel] = Field(default={}, max_length=32)
    evidence_sources: list[CameraName] = Field(
        default=[],
        max_length=32,
        description="cameras that are evidence sources (a screen, a document camera)",
    )

    @field_validator("cameras")
    @classmethod
    def cameras_are_names(cls, cameras: list[str]) -> list[str]:
        return check_camera_names(cameras)

    @model_validator(mode="after")
    def labels_name_cameras(self) -> CourtroomIn:
        for field, named in (
            ("camera_labels", self.camera_labels),
            ("evidence_sources", self.evidence_sources),
        ):
            unknown = sorted(set(named) - set(self.cameras))
            if unknown:
                raise ValueError(f"{field} name cameras not in cameras: {', '.join(unknown)}")
        return self


SourceKind = Literal["camera", "evidence"]


class CameraIn(CameraLabel):
    name: CameraName
    kind: SourceKind = Field(
        default="camera", description="evidence: a screen or document camera showing exhibits"
    )


class CamerasIn(BaseModel):
    """A courtroom's cameras in display order, each with its display names."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "cameras": [
                        {"name": "bench", "zh": "审判席", "en": "Bench"},
                        {"name": "witness", "zh": "证人席", "en": "Witness stand"},
                        {
                            "name": "evidence",
                            "zh": "证据展示",
                            "en": "Evidence",
                            "kind": "evidence",
                        },
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
    evidence_sources: list[str] = Field(
        default=[], description="the cameras that are evidence sources, in display order"
    )
    publishing: list[str] = []
    created_at: datetime
