"""What the recorder reports for each finished object: enough to store, index and verify it.

Records are also written beside their spool file as JSON, so a process that
restarts can upload and index what the previous one left behind.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

CONTENT_TYPES = {"mp4": "video/mp4", "m4s": "video/iso.segment", "webm": "video/webm"}


def content_type_of(key: str) -> str:
    """The MIME type of an archived object, from its extension."""
    return CONTENT_TYPES.get(key.rsplit(".", 1)[-1], "application/octet-stream")


@dataclass(frozen=True, slots=True)
class InitRecord:
    """An init segment (ftyp+moov): the codec setup media segments of its epoch need."""

    recording_id: str
    camera: str
    epoch: int
    key: str
    size: int
    sha256: str
    codecs: str
    width: int | None
    height: int | None
    version_id: str | None = None  # the store's version of it, once the store confirmed it

    @property
    def content_type(self) -> str:
        return content_type_of(self.key)


@dataclass(frozen=True, slots=True)
class SegmentRecord:
    """A media segment (moof+mdat fragments) of about the target duration, keyframe first."""

    recording_id: str
    camera: str
    epoch: int
    sequence: int
    key: str
    extension: str
    started_at: datetime
    duration_s: float
    size: int
    sha256: str
    frames: int
    discontinuity: bool
    version_id: str | None = None  # the store's version of it, once the store confirmed it

    @property
    def content_type(self) -> str:
        return content_type_of(self.key)


ObjectRecord = InitRecord | SegmentRecord


def record_to_json(record: ObjectRecord) -> str:
    fields: dict[str, Any] = asdict(record)
    fields["type"] = "init" if isinstance(record, InitRecord) else "segment"
    if isinstance(record, SegmentRecord):
        fields["started_at"] = record.started_at.isoformat()
    return json.dumps(fields, ensure_ascii=False)


def record_from_json(text: str) -> ObjectRecord:
    """Inverse of `record_to_json`; ValueError for anything else."""
    fields = json.loads(text)
    kind = fields.pop("type", None)
    if kind == "init":
        return InitRecord(**fields)
    if kind == "segment":
        fields["started_at"] = datetime.fromisoformat(fields["started_at"])
        return SegmentRecord(**fields)
    raise ValueError(f"not a spool record: type {kind!r}")
