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


CLOCK_TOLERANCE_S = 2.0  # a camera clock this close to the server's is trusted as it is
CLOCK_STEP_S = 2.0  # a later change must last this long (arrival time) to be followed


class CourtClock:
    """A publisher's capture times on the server's clock, one offset for all its streams.

    Sender reports put a publisher's audio and video on one line (lip sync), but on its own
    wall clock, which a hardware encoder never set or a phone on the wrong time may have
    minutes off, or step in mid-hearing; the archive's times are the court's record of when
    things happened. A capture time within CLOCK_TOLERANCE_S of the frame's arrival is kept
    (it is the more precise); beyond, the publisher's clock is moved onto the server's, for
    every stream of the publication alike, so its streams stay together.

    The first frame on the publisher's clock decides at once, so its footage never jumps to
    the camera's time. After that only a difference lasting CLOCK_STEP_S is followed, by the
    smallest one seen meanwhile (a delay only ever adds to it): a stalled event loop or a
    burst of late frames must not move the footage back and forth.
    """

    def __init__(self) -> None:
        self.offset_s = 0.0  # added to the publisher's clock
        self._decided = False
        self._off_since: float | None = None  # arrival of the first frame past the tolerance
        self._least_skew = 0.0  # the smallest arrival - capture since then

    def court_time(self, capture: float, arrival: float) -> float:
        """The server's time of a frame captured at `capture` by the publisher's clock."""
        skew = arrival - capture
        if not self._decided:
            self._decided = True
            self.offset_s = _offset_for(skew)
        elif abs(skew - self.offset_s) <= CLOCK_TOLERANCE_S:
            self._off_since = None
        elif self._off_since is None:
            self._off_since, self._least_skew = arrival, skew
        else:
            self._least_skew = min(self._least_skew, skew)
            if arrival - self._off_since >= CLOCK_STEP_S:
                self.offset_s = _offset_for(self._least_skew)
                self._off_since = None
        return capture + self.offset_s


def _offset_for(skew: float) -> float:
    return skew if abs(skew) > CLOCK_TOLERANCE_S else 0.0
