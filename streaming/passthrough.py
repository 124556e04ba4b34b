"""The one place that reaches into aiortc's receiver to take frames before its decoder.

aiortc has no encoded-frame API (issues #449, #984). Its `RTCRtpReceiver` puts
each reassembled frame, after jitter buffer, NACK and RTX handling, on a
private queue read by a decoder thread. We swap that queue for one that hands
the frame to us on the event loop (no thread hop, no decoding), swap the
timestamp mapper for the identity so we see the publisher's own RTP time, and
wrap the RTCP handler to read sender reports. The private names are pinned to
aiortc 1.16.0 and covered by the ingest tests.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from aiortc import RTCRtpReceiver
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtp import RtcpSrPacket

from recorder.bitstream import is_keyframe
from streaming.frames import EncodedFrame, MediaKind
from streaming.rtp_clock import RtpClock

log = logging.getLogger(__name__)

FrameSink = Callable[[EncodedFrame], None]
# aiortc 1.16.0 private attributes (name-mangled) this module replaces or reads.
_TIMESTAMP_MAPPER = "_RTCRtpReceiver__timestamp_mapper"
_DECODER_QUEUE = "_RTCRtpReceiver__decoder_queue"
_RTX_SSRC = "_RTCRtpReceiver__rtx_ssrc"


class _IdentityTimestamps:
    """Leaves RTP timestamps as sent: `RtpClock` unwraps them and maps them to wall time."""

    @staticmethod
    def map(timestamp: int) -> int:
        return timestamp


class _FrameHandoff:
    """Stands in for the receiver's decoder queue.

    `put` is called on the event loop by `_handle_rtp_packet`; the decoder
    thread aiortc still starts blocks in `get` until the receiver stops.
    """

    def __init__(self, deliver: Callable[[RTCRtpCodecParameters, Any], None]) -> None:
        self._deliver = deliver
        self._stopped = threading.Event()

    def put(self, item: tuple[RTCRtpCodecParameters, Any] | None) -> None:
        if item is None:
            self._stopped.set()
            return
        codec, jitter_frame = item
        try:
            self._deliver(codec, jitter_frame)
        except Exception:  # one bad frame must not stop the receiver
            log.exception("dropped a %s frame that could not be handled", codec.name)

    def get(self) -> None:
        self._stopped.wait()
        return None


def media_ssrcs(receiver: RTCRtpReceiver) -> list[int]:
    """SSRCs that carried media recently (retransmission streams excluded)."""
    rtx: dict[int, int] = getattr(receiver, _RTX_SSRC)
    return [s.source for s in receiver.getSynchronizationSources() if s.source not in rtx]


def tap_receiver(
    receiver: RTCRtpReceiver, *, kind: MediaKind, source_id: str, sink: FrameSink
) -> None:
    """Route the receiver's encoded frames to `sink` with wall-clock times (before it starts)."""
    clock: RtpClock | None = None
    pending_report: RtcpSrPacket | None = None  # a report that came before the first frame

    def deliver(codec: RTCRtpCodecParameters, jitter_frame: Any) -> None:
        name = codec.name.lower()
        data: bytes = jitter_frame.data
        if not data:
            return
        nonlocal clock
        if clock is None:
            clock = RtpClock(codec.clockRate)
            if pending_report is not None:
                _apply_report(clock, pending_report)
        pts, wallclock = clock.on_frame(jitter_frame.timestamp, arrival=time.time())
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

    setattr(receiver, _TIMESTAMP_MAPPER, _IdentityTimestamps())
    setattr(receiver, _DECODER_QUEUE, _FrameHandoff(deliver))
    handle_rtcp = receiver._handle_rtcp_packet
    rtx: dict[int, int] = getattr(receiver, _RTX_SSRC)

    async def handle_rtcp_with_reports(packet: Any) -> None:
        nonlocal pending_report
        if isinstance(packet, RtcpSrPacket) and packet.ssrc not in rtx:
            if clock is None:
                pending_report = packet
            else:
                _apply_report(clock, packet)
        await handle_rtcp(packet)

    receiver._handle_rtcp_packet = handle_rtcp_with_reports  # type: ignore[method-assign]


def _apply_report(clock: RtpClock, report: RtcpSrPacket) -> None:
    clock.on_sender_report(
        rtp_timestamp=report.sender_info.rtp_timestamp,
        ntp_timestamp=report.sender_info.ntp_timestamp,
    )


async def request_keyframe(receiver: RTCRtpReceiver) -> None:
    """Send an RTCP PLI for every media source of a video receiver."""
    for ssrc in media_ssrcs(receiver):
        await receiver._send_rtcp_pli(ssrc)
