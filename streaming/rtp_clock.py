"""RTP time to wall-clock time, per RTP stream (RFC 3550 section 6.4.1).

A publisher's RTP timestamps start at a random 32-bit value, wrap around and
count in the codec's clock rate; its RTCP sender reports pair one of them with
an NTP time. With that pair every frame gets the moment it was captured, so
cameras and audio line up. Before the first report we anchor on arrival time.
"""

from __future__ import annotations

from dataclasses import dataclass

RTP_MODULO = 1 << 32
HALF_RANGE = 1 << 31
NTP_UNIX_OFFSET = 2_208_988_800  # seconds from 1900-01-01 to 1970-01-01


def ntp_to_unix(ntp_timestamp: int) -> float:
    """A 64-bit NTP timestamp (32.32 fixed point) as UNIX seconds."""
    return (ntp_timestamp >> 32) - NTP_UNIX_OFFSET + (ntp_timestamp & 0xFFFFFFFF) / (1 << 32)


class RtpUnwrapper:
    """32-bit RTP timestamps extended to a monotonic-ish 64-bit counter.

    A step of less than half the range forward or backward is taken as is, so
    reordering and small backward jumps stay backward instead of looking like
    a wrap (aiortc's mapper treats any decrease as a wrap).
    """

    def __init__(self) -> None:
        self._last: int | None = None

    def unwrap(self, timestamp: int) -> int:
        if not 0 <= timestamp < RTP_MODULO:
            raise ValueError(f"RTP timestamp out of range: {timestamp}")
        if self._last is None:
            self._last = timestamp
            return timestamp
        delta = (timestamp - self._last) % RTP_MODULO
        if delta >= HALF_RANGE:
            delta -= RTP_MODULO
        self._last += delta
        return self._last


@dataclass(frozen=True, slots=True)
class _Anchor:
    extended_rtp: int
    unix_time: float


class RtpClock:
    """Wall-clock times for one RTP stream, from its sender reports or arrival times."""

    def __init__(self, clock_rate: int) -> None:
        if clock_rate <= 0:
            raise ValueError(f"clock rate must be positive: {clock_rate}")
        self.clock_rate = clock_rate
        self._unwrapper = RtpUnwrapper()
        self._first: int | None = None
        self._anchor: _Anchor | None = None
        self._from_report = False

    @property
    def synchronized(self) -> bool:
        """Whether a sender report has anchored this stream."""
        return self._from_report

    def on_sender_report(self, *, rtp_timestamp: int, ntp_timestamp: int) -> None:
        """Re-anchor on the publisher's clock pair."""
        self._anchor = _Anchor(self._unwrapper.unwrap(rtp_timestamp), ntp_to_unix(ntp_timestamp))
        self._from_report = True

    def on_frame(self, rtp_timestamp: int, *, arrival: float) -> tuple[int, float]:
        """(ticks since this stream's first frame, capture wall-clock time) of one frame."""
        extended = self._unwrapper.unwrap(rtp_timestamp)
        if self._first is None:
            self._first = extended
        if self._anchor is None:
            self._anchor = _Anchor(extended, arrival)
        wallclock = (
            self._anchor.unix_time + (extended - self._anchor.extended_rtp) / self.clock_rate
        )
        return extended - self._first, wallclock
