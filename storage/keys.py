"""Object key layout: the one place that decides where a recording's bytes live.

`{court}/{courtroom}/{YYYY}/{MM}/{DD}/{recording}/{camera}/...` keeps a day's
hearings of one courtroom together, so retention and legal holds can act on a
prefix, and an operator browsing the bucket finds footage without the index.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

# fullmatch: with match and "$", a trailing newline would pass ("bench\n").
_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def _part(name: str, value: str) -> str:
    if not _SAFE.fullmatch(value):
        raise ValueError(f"{name} {value!r} is not a safe object key part")
    return value


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
        return f"{self}/init-{epoch:04d}.{_part('extension', extension)}"

    def segment_key(self, sequence: int, extension: str = "m4s") -> str:
        """Key of media segment `sequence` (numbered across epochs, never reused)."""
        return f"{self}/seg-{sequence:08d}.{_part('extension', extension)}"

    def manifest_key(self) -> str:
        """Key of the recording's signed integrity manifest (beside its cameras' folders)."""
        return f"{self.recording_prefix}/manifest.json"


def is_safe_part(value: str) -> bool:
    """True when `value` can stand as one path part of an object key."""
    return bool(_SAFE.fullmatch(value))
