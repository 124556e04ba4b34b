"""What the recorder accepts: encoded frames, never pictures.

The recorder does not import `streaming`; any object with these attributes
(streaming's `EncodedFrame` is one) can be recorded.
"""

from __future__ import annotations

from typing import Protocol

from storage.archive import MediaKind


class EncodedMedia(Protocol):
    """One encoded access unit (video) or packet (audio) with its timing."""

    @property
    def kind(self) -> MediaKind: ...

    @property
    def codec(self) -> str:
        """Lower-case codec name: "h264", "vp8", "vp9" or "opus"."""
        ...

    @property
    def data(self) -> bytes:
        """H.264 as Annex-B (start codes), VP8/VP9 frame, Opus packet."""
        ...

    @property
    def pts(self) -> int:
        """Media timestamp in `clock_rate` units, unwrapped, monotonic per source."""
        ...

    @property
    def clock_rate(self) -> int: ...

    @property
    def keyframe(self) -> bool: ...

    @property
    def wallclock(self) -> float:
        """Capture time in UNIX seconds (UTC), from the publisher's RTCP sender reports."""
        ...

    @property
    def source_id(self) -> str:
        """The publication that produced the frame: a new value means timestamps restart."""
        ...
