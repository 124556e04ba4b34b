"""The archive's vocabulary: what a recorded object is, as the recorder reports it and the
spool, the uploader, recovery and the catalog all read it.

Records are written beside their spool file as JSON, so a process that restarts can upload
and index what the previous one left behind; `from_json` accepts exactly what `to_json`
writes and raises ValueError, naming the field, for anything else.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal

MediaKind = Literal["video", "audio"]

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

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "type": "init"}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> InitRecord:
        return cls(**_fields(_typed(text, "init"), cls, "init record", _INIT))


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

    def to_json(self) -> str:
        fields = {**asdict(self), "type": "segment", "started_at": self.started_at.isoformat()}
        return json.dumps(fields, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> SegmentRecord:
        return cls(**_fields(_typed(text, "segment"), cls, "segment record", _SEGMENT))


ObjectRecord = InitRecord | SegmentRecord


def object_record_from_json(text: str) -> ObjectRecord:
    """An init or a segment record, whichever `text` is; ValueError for anything else."""
    kind = _object(text, "spool record").get("type")
    if kind == "init":
        return InitRecord.from_json(text)
    if kind == "segment":
        return SegmentRecord.from_json(text)
    raise ValueError(f"not a spool record: type {kind!r}")


@dataclass(frozen=True, slots=True)
class OpeningRecord:
    """The note a spooled segment opens with: what recovery needs to finish and index it
    should the process die while the segment grows."""

    recording_id: str
    camera: str
    epoch: int
    sequence: int
    key: str
    extension: str
    video_track: tuple[int, int] | None  # (track id, timescale); None: not fMP4, not recoverable
    started_at: datetime
    discontinuity: bool

    def to_json(self) -> str:
        fields = {**asdict(self), "started_at": self.started_at.isoformat()}
        return json.dumps(fields, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> OpeningRecord:
        return cls(**_fields(_object(text, "opening record"), cls, "opening record", _OPENING))

    def finished(self, *, duration_s: float, size: int, sha256: str, frames: int) -> SegmentRecord:
        """The segment's record, once its length and content are known."""
        return SegmentRecord(
            recording_id=self.recording_id,
            camera=self.camera,
            epoch=self.epoch,
            sequence=self.sequence,
            key=self.key,
            extension=self.extension,
            started_at=self.started_at,
            duration_s=duration_s,
            size=size,
            sha256=sha256,
            frames=frames,
            discontinuity=self.discontinuity,
        )


def _object(text: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"{what} is not JSON: {error}") from None
    if not isinstance(value, dict):
        raise ValueError(f"{what} is not a JSON object but {type(value).__name__}")
    return value


def _typed(text: str, kind: str) -> dict[str, Any]:
    fields = _object(text, f"{kind} record")
    found = fields.pop("type", None)
    if found != kind:
        raise ValueError(f"not a {kind} record: type {found!r}")
    return fields


def _fields(
    fields: dict[str, Any], cls: type, what: str, parsers: Mapping[str, Callable[[Any], Any]]
) -> dict[str, Any]:
    """Check every field is known, present unless it has a default, and of its type."""
    declared = dataclasses.fields(cls)
    unknown = sorted(set(fields) - {field.name for field in declared})
    if unknown:
        raise ValueError(f"{what}: unknown field(s) {', '.join(unknown)}")
    required = {field.name for field in declared if field.default is dataclasses.MISSING}
    missing = sorted(required - set(fields))
    if missing:
        raise ValueError(f"{what}: missing field(s) {', '.join(missing)}")
    parsed: dict[str, Any] = {}
    for name, value in fields.items():
        try:
            parsed[name] = parsers[name](value)
        except (TypeError, ValueError) as error:
            raise ValueError(f"{what}: field {name} = {value!r}: {error}") from None
    return parsed


def _of(*types: type) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        # bool is an int to Python, never to the archive
        if isinstance(value, bool) is not (bool in types) or not isinstance(value, types):
            raise TypeError(f"not {' or '.join(t.__name__ for t in types)}")
        return value

    return check


def _instant(value: Any) -> datetime:
    if not isinstance(value, str):
        raise TypeError("not an ISO 8601 time")
    return datetime.fromisoformat(value)


def _seconds(value: Any) -> float:
    return float(_of(int, float)(value))


def _video_track(value: Any) -> tuple[int, int] | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != 2:
        raise TypeError("not null or [track id, timescale]")
    return _of(int)(value[0]), _of(int)(value[1])


_TEXT, _COUNT, _FLAG = _of(str), _of(int), _of(bool)
_COMMON = {"recording_id": _TEXT, "camera": _TEXT, "epoch": _COUNT, "key": _TEXT}
_INIT = _COMMON | {
    "size": _COUNT,
    "sha256": _TEXT,
    "codecs": _TEXT,
    "width": _of(int, type(None)),
    "height": _of(int, type(None)),
    "version_id": _of(str, type(None)),
}
_OPENING = _COMMON | {
    "sequence": _COUNT,
    "extension": _TEXT,
    "video_track": _video_track,
    "started_at": _instant,
    "discontinuity": _FLAG,
}
_SEGMENT = {
    **{name: parser for name, parser in _OPENING.items() if name != "video_track"},
    "duration_s": _seconds,
    "size": _COUNT,
    "sha256": _TEXT,
    "frames": _COUNT,
    "version_id": _of(str, type(None)),
}
