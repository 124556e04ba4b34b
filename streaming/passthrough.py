"""A publisher's frames taken from aiortc's receiver before its decoder, with wall-clock times.

aiortc has no encoded-frame API (issues #449, #984). Through the hooks in
streaming/aiortc_hooks.py, each frame the receiver reassembled (jitter buffer,
NACK and RTX done) reaches us on the event loop with the publisher's own RTP
time, never decoded, and the receiver's RTCP sender reports map that time to
the wall clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from aiortc import RTCRtpReceiver
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtp import AnyRtcpPacket, RtcpSrPacket

from recorder.bitstream import is_keyframe
from storage.archive import MediaKind
from streaming.aiortc_hooks import (
    divert_frames_before_decoder,
    keep_sender_rtp_timestamps,
    retransmission_ssrcs,
    send_pli,
    watch_rtcp,
)
from streaming.frames import EncodedFrame
from streaming.rtp_clock import CourtClock, RtpClock

FrameSink = Callable[[EncodedFrame], None]


def media_ssrcs(receiver: RTCRtpReceiver) -> list[int]:
    """SSRCs that carried media recently (retransmission streams excluded)."""
    rtx = retransmission_ssrcs(receiver)
    return [s.source for s in receiver.getSynchronizationSources() if s.source not in rtx]


def tap_receiver(
    receiver: RTCRtpReceiver,
    *,
    kind: MediaKind,
    source_id: str,
    sink: FrameSink,
    court_clock: CourtClock,
) -> None:
    """Route the receiver's encoded frames to `sink` with wall-clock times (before it starts):
    the publisher's capture times, on the server's clock by `court_clock`, which every
    receiver of the publication shares."""
    clock: RtpClock | None = None
    pending_report: RtcpSrPacket | None = None  # a report that came before the first frame
    named: tuple[RTCRtpCodecParameters, str] | None = None  # `name` parses the MIME type

    def deliver(codec: RTCRtpCodecParameters, timestamp: int, data: bytes) -> None:
        if not data:
            return
        nonlocal clock, named
        if named is None or named[0] is not codec:
            named = (codec, codec.name.lower())
        name = named[1]
        if clock is None:
            clock = RtpClock(codec.clockRate)
            if pending_report is not None:
                _apply_report(clock, pending_report)
        arrival = time.time()
        pts, wallclock = clock.on_frame(timestamp, arrival=arrival)
        if clock.synchronized:  # the publisher's clock, not the server's
            wallclock = court_clock.court_time(wallclock, arrival)
        sink(
            EncodedFrame(
                kind=kind,
                codec=name,
                data=data,
                pts=pts,
                clock_rate=codec.clockRate,
                keyframe=is_keyframe(name, data),
                wallclock=wallclock,
                source_id=source_id,
            )
        )

    keep_sender_rtp_timestamps(receiver)
    divert_frames_before_decoder(receiver, deliver)
    rtx = retransmission_ssrcs(receiver)

    def read_sender_report(packet: AnyRtcpPacket) -> None:
        nonlocal pending_report
        if isinstance(packet, RtcpSrPacket) and packet.ssrc not in rtx:
            if clock is None:
                pending_report = packet
            else:
                _apply_report(clock, packet)

    watch_rtcp(receiver, read_sender_report)


def _apply_report(clock: RtpClock, report: RtcpSrPacket) -> None:
    clock.on_sender_report(
        rtp_timestamp=report.sender_info.rtp_timestamp,
        ntp_timestamp=report.sender_info.ntp_timestamp,
    )


async def request_keyframe(receiver: RTCRtpReceiver) -> None:
    """Send an RTCP PLI for every media source of a video receiver."""
    for ssrc in media_ssrcs(receiver):
        await send_pli(receiver, ssrc)
