"""Object key layout: the one place that decides where a recording's bytes live, and that
reads a key back into its parts.

`{court}/{courtroom}/{YYYY}/{MM}/{DD}/{recording}/{camera}/...` keeps a day's
hearings of one courtroom together, so retention and legal holds can act on a
prefix, and an operator browsing the bucket finds footage without the index.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Literal

# fullmatch: with match and "$", a trailing newline would pass ("bench\n").
_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_NAME = re.compile(r"(?P<kind>init|seg)-(?P<number>[0-9]+)\.(?P<extension>.+)")
MANIFEST_NAME = "manifest.json"

ObjectKind = Literal["init", "segment", "manifest"]


def _part(name: str, value: str) -> str:
    if not _SAFE.fullmatch(value):
        raise ValueError(f"{name} {value!r} is not a safe object key part")
    return value


def is_safe_part(value: str) -> bool:
    """True when `value` can stand as one path part of an object key."""
    return bool(_SAFE.fullmatch(value))


@dataclass(frozen=True, slots=True)
class ObjectName:
    """The last part of a key: what the object is and its number in the track."""

    kind: ObjectKind
    number: int | None  # the epoch of an init segment, the sequence of a media segment
    extension: str

    def __str__(self) -> str:
        extension = _part("extension", self.extension)
        if self.kind == "init":
            return f"init-{self.number:04d}.{extension}"
        if self.kind == "segment":
            return f"seg-{self.number:08d}.{extension}"
        return MANIFEST_NAME

    @property
    def epoch(self) -> int | None:
        return self.number if self.kind == "init" else None

    @property
    def sequence(self) -> int | None:
        return self.number if self.kind == "segment" else None


@dataclass(frozen=True, slots=True)
class TrackPrefix:
    """Where one camera's segments of one recording live."""

    court_id: str
    courtroom_id: str
    recording_id: str
    camera: str
    started_at: datetime

    def __str__(self) -> str:
        return f"{self.recording_prefix}/{_part('camera', self.camera)}"

    @property
    def recording_prefix(self) -> str:
        """Where every camera of the recording lives, and its manifest."""
        day = self.started_at.astimezone(UTC).strftime("%Y/%m/%d")
        return "/".join(
            (
                _part("court", self.court_id),
                _part("courtroom", self.courtroom_id),
                day,
                _part("recording", self.recording_id),
            )
        )

    def init_key(self, epoch: int, extension: str = "mp4") -> str:
        """Key of the init segment (ftyp+moov, or WebM header) media segments of `epoch` need."""
        return f"{self}/{ObjectName('init', epoch, extension)}"

    def segment_key(self, sequence: int, extension: str = "m4s") -> str:
        """Key of media segment `sequence` (numbered across epochs, never reused)."""
        return f"{self}/{ObjectName('segment', sequence, extension)}"

    def manifest_key(self) -> str:
        """Key of the recording's signed integrity manifest (beside its cameras' folders)."""
        return f"{self.recording_prefix}/{MANIFEST_NAME}"

    def confirmation_key(self, confirmation_id: str, extension: str) -> str:
        """Key of a party's confirmation of the record: its drawn signature (png) or the
        signed statement (json), in the recording's `confirmations` folder."""
        name = f"{_part('confirmation', confirmation_id)}.{_part('extension', extension)}"
        return f"{self.recording_prefix}/confirmations/{name}"


@dataclass(frozen=True, slots=True)
class ObjectKey:
    """A recording's object key read back into the parts `TrackPrefix` built it from."""

    court_id: str
    courtroom_id: str
    day: date
    recording_id: str
    camera: str | None  # None for the recording's manifest
    name: ObjectName

    def __str__(self) -> str:
        started = datetime.combine(self.day, time(), UTC)
        prefix = TrackPrefix(
            self.court_id, self.courtroom_id, self.recording_id, self.camera or "", started
        )
        if self.camera is None:
            return f"{prefix.recording_prefix}/{self.name}"
        return f"{prefix}/{self.name}"


def parse_object_name(name: str) -> ObjectName:
    """`init-0001.mp4`, `seg-00000001.m4s` or `manifest.json`; ValueError for anything else."""
    if name == MANIFEST_NAME:
        return ObjectName("manifest", None, "json")
    match = _NAME.fullmatch(name)
    if match is None:
        raise ValueError(f"{name!r} is not an init, segment or manifest object name")
    kind: ObjectKind = "init" if match["kind"] == "init" else "segment"
    parsed = ObjectName(kind, int(match["number"]), _part("extension", match["extension"]))
    if str(parsed) != name:
        raise ValueError(f"{name!r} is not in its canonical form {str(parsed)!r}")
    return parsed


def parse_object_key(key: str) -> ObjectKey:
    """Inverse of `TrackPrefix`'s keys; ValueError for a key this layout did not build."""
    parts = key.split("/")
    if len(parts) not in (7, 8):
        raise ValueError(f"{key!r} is not a recording's object key: {len(parts)} parts")
    court, courtroom, year, month, day, recording = parts[:6]
    name = parse_object_name(parts[-1])
    if (name.kind == "manifest") != (len(parts) == 7):
        raise ValueError(
            f"{key!r}: a manifest sits beside the camera folders, other objects in one"
        )
    try:
        on = date(int(year), int(month), int(day))
    except ValueError as error:
        raise ValueError(f"{key!r}: {year}/{month}/{day} is not a day: {error}") from None
    parsed = ObjectKey(
        court_id=_part("court", court),
        courtroom_id=_part("courtroom", courtroom),
        day=on,
        recording_id=_part("recording", recording),
        camera=_part("camera", parts[6]) if len(parts) == 8 else None,
        name=name,
    )
    if str(parsed) != key:
        raise ValueError(f"{key!r} is not in its canonical form {str(parsed)!r}")
    return parsed
