"""The unit of media that moves through Courtcast: one encoded frame with its wall-clock time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from storage.archive import MediaKind


class EncodedFrame(NamedTuple):
    """An encoded access unit as the publisher sent it (no decoding ever happens).

    `pts` counts `clock_rate` ticks from the publication's first frame of this
    kind, already unwrapped; `wallclock` is UNIX seconds mapped from RTCP sender
    reports (arrival time until the first report).

    Immutable, since every consumer of a camera shares each frame; a named tuple rather than
    a frozen dataclass because one is made per frame of every camera, and a frozen
    dataclass's constructor costs two and a half times as much (1.6 against 0.65 us).
    """

    kind: MediaKind
    codec: str
    data: bytes
    pts: int
    clock_rate: int
    keyframe: bool
    wallclock: float
    source_id: str


@dataclass(frozen=True, slots=True)
class SourceEnded:
    """Marks the end of one publication in a hub's stream: its frames are all delivered."""

    source_id: str
