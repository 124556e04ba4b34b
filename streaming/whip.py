"""A WHIP publication (RFC 9725): one publisher's peer connection feeding a camera hub.

The offer is answered with every media section received through the
passthrough tap, so frames reach the hub encoded, with wall-clock times, and
nothing here decodes. H.264 is preferred over VP8 because it remuxes into fMP4
and plays everywhere.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from typing import cast

from aiortc import RTCPeerConnection, RTCRtpReceiver, RTCRtpTransceiver
from aiortc.rtcrtpparameters import RTCRtpCodecCapability

from storage.archive import MediaKind
from streaming.aiortc_hooks import report_together
from streaming.frames import EncodedFrame
from streaming.hub import Hub
from streaming.passthrough import request_keyframe, tap_receiver
from streaming.peer import HubPeer, answer, apply_offer
from streaming.receive_path import install_receive_path
from streaming.rtp_clock import CourtClock
from streaming.sdp import offered_kinds, with_bitrate_hints

log = logging.getLogger(__name__)

STALE_AFTER_S = 2.0  # a connected publisher silent this long may be replaced by a new one
CONNECT_GRACE_S = 5.0
VIDEO_PREFERENCE = ("video/h264", "video/vp8", "video/rtx")
# Receive-side bandwidth estimation (abs-send-time stamps, REMB feedback): the recorder
# takes what the publisher sends, and the receive path runs no estimator.
_ESTIMATION_LINE = re.compile(r"^a=(rtcp-fb:\d+ goog-remb|extmap:\d+ \S*abs-send-time)\s*$")


class WhipPublication(HubPeer):
    """One publisher on one camera, from the answered offer until either side hangs up."""

    def __init__(
        self, hub: Hub, on_ended: Callable[[WhipPublication], None], pc: RTCPeerConnection
    ) -> None:
        super().__init__(hub, on_ended, pc)
        self._created_at = time.monotonic()
        self._video_receiver: RTCRtpReceiver | None = None
        self._court_clock = CourtClock()  # the publisher's one clock, whatever streams it sends

    @classmethod
    async def create(
        cls, offer_sdp: str, hub: Hub, *, on_ended: Callable[[WhipPublication], None]
    ) -> WhipPublication:
        """Answer the offer; raises ValueError with a precise reason when it cannot be used."""
        return await cls._answered(offer_sdp, lambda pc: cls(hub, on_ended, pc))

    async def _negotiate(self, offer: str) -> None:
        pc = self._pc
        # Codecs are fixed inside setRemoteDescription, so preferences go on first; only for
        # the kinds offered, since aiortc cannot answer with a transceiver left unmatched.
        kinds = offered_kinds(offer)
        if "video" in kinds:
            _prefer_h264(pc.addTransceiver("video", direction="recvonly"))
        if "audio" in kinds:
            pc.addTransceiver("audio", direction="recvonly")
        negotiated = await apply_offer(pc, offer)
        for transceiver in negotiated:
            kind = cast(MediaKind, transceiver.kind)
            if kind == "video" and self._video_receiver is None:
                self._video_receiver = transceiver.receiver
            tap_receiver(
                transceiver.receiver,
                kind=kind,
                source_id=self.id,
                sink=self._publish,
                court_clock=self._court_clock,
            )
        self.answer_sdp = with_bitrate_hints(without_bandwidth_estimation(await answer(pc)))
        install_receive_path(transceiver.receiver.transport for transceiver in negotiated)
        report_together(transceiver.receiver for transceiver in negotiated)
        self._hub.attach_publisher(self.request_keyframe)

    def _start(self) -> None:
        @self._pc.on("connectionstatechange")
        async def on_state() -> None:
            if self._pc.connectionState in ("failed", "closed"):
                await self.close()

        for transceiver in self._pc.getTransceivers():
            if transceiver.mid is None:
                continue
            track = transceiver.receiver.track

            @track.on("ended")
            async def on_track_ended() -> None:
                await self.close()

        self._tasks.spawn(self._hang_up_unless_connected())

    def _publish(self, frame: EncodedFrame) -> None:
        """Pass a frame on while the publication lasts. The receive path can still finish a
        frame during the hang-up; the hub's consumers already learnt that this publication
        ended, and a recording would open a new epoch for a keyframe from it."""
        if not self._closed:
            self._hub.publish(frame)

    def request_keyframe(self) -> None:
        """RTCP PLI to the publisher (the hub throttles callers)."""
        if self._video_receiver is not None and not self._closed:
            self._tasks.spawn(request_keyframe(self._video_receiver))

    @property
    def clock_offset_s(self) -> float:
        """How far the publisher's clock is moved onto the server's (0: it is trusted)."""
        return self._court_clock.offset_s

    def is_stale(self, silent_for_s: float | None) -> bool:
        """Whether a new publisher may take over: this one connected, then went silent."""
        if self._closed or self._pc.connectionState in ("failed", "closed"):
            return True
        if time.monotonic() - self._created_at < CONNECT_GRACE_S:
            return False  # still connecting: the hub's silence may predate this publisher
        return silent_for_s is None or silent_for_s > STALE_AFTER_S

    def _leave_hub(self) -> None:
        """The hub keeps its consumers for the next publisher; they learn this one ended."""
        self._hub.detach_publisher(self.request_keyframe, self.id)


def without_bandwidth_estimation(sdp: str) -> str:
    """The answer without REMB and abs-send-time, so the publisher neither stamps packets
    for an estimator nor waits for its feedback (loss-based RTCP reports remain)."""
    lines = sdp.splitlines(keepends=True)
    return "".join(line for line in lines if not _ESTIMATION_LINE.match(line))


def _prefer_h264(transceiver: RTCRtpTransceiver) -> None:
    """Rank H.264 first, then VP8 (aiortc otherwise follows the offer's order)."""
    capabilities = RTCRtpReceiver.getCapabilities("video")
    assert capabilities is not None

    def rank(codec: RTCRtpCodecCapability) -> int:
        mime = codec.mimeType.lower()
        return VIDEO_PREFERENCE.index(mime) if mime in VIDEO_PREFERENCE else len(VIDEO_PREFERENCE)

    transceiver.setCodecPreferences(sorted(capabilities.codecs, key=rank))
