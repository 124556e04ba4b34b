"""A WHEP viewer: one watcher's peer connection fed, still encoded, from a camera hub.

Nothing is decoded or encoded. The camera's frames are packetized once for
all viewers by the hub's shared relay (streaming/relay.py, one per hub, kept
by the HubRegistry); a viewer's RTP senders read its own bounded `Outlet`,
which never makes the relay wait: a viewer that falls behind skips to the
next keyframe while the publisher, the recorder and the other viewers carry
on. Codecs are fixed inside setRemoteDescription and the sender uses the
first one, so the publisher's codec is put first before the offer is applied.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import av
from aiortc import RTCPeerConnection, RTCRtpSender, RTCRtpTransceiver
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtcrtpparameters import RTCRtpCodecCapability

from storage.archive import MediaKind
from streaming.aiortc_hooks import forward_keyframe_requests, replace_rtp_loop
from streaming.peer import HubPeer, answer, apply_offer
from streaming.relay import FrameRelay, Outlet
from streaming.relay_sender import RelayRtpLoop
from streaming.sdp import offered_kinds

log = logging.getLogger(__name__)

KEYFRAME_RETRY_S = 1.0
DEFAULT_VIDEO_CODEC = "h264"  # before any publisher was seen: what the recorder prefers
# Label H.264 with the richest profile the viewer accepts: a decoder for a higher profile
# plays a lower one, while Safari shows black when the SDP claims less than the stream uses.
H264_PROFILE_ORDER = ("64001f", "4d001f", "640c1f", "42e01f", "42001f")


class RelayTrack(MediaStreamTrack):
    """The track a relay sender is bound to; its frames come from an `Outlet`, never `recv`."""

    def __init__(self, kind: MediaKind) -> None:
        super().__init__()
        self.kind = kind

    async def recv(self) -> av.Packet:
        raise MediaStreamError  # never called: the sender reads the outlet (feed_sender)


def feed_sender(sender: RTCRtpSender, relay: FrameRelay, outlet: Outlet, kind: MediaKind) -> None:
    """Make `sender` send the outlet's shared, already packetized frames."""
    replace_rtp_loop(sender, lambda path: RelayRtpLoop(path, outlet, kind, relay.pacer))


class WhepViewer(HubPeer):
    """One viewer of one camera, from the answered offer until either side hangs up."""

    def __init__(
        self, relay: FrameRelay, on_ended: Callable[[WhepViewer], None], pc: RTCPeerConnection
    ) -> None:
        hub = relay.hub
        super().__init__(hub, on_ended, pc)
        self.video_codec = hub.video_codec or DEFAULT_VIDEO_CODEC
        self._tracks: dict[str, RelayTrack] = {}
        self._relay = relay
        self._outlet = Outlet(self.video_codec, hub.request_keyframe, self._codec_changed)

    @classmethod
    async def create(
        cls, offer_sdp: str, relay: FrameRelay, *, on_ended: Callable[[WhepViewer], None]
    ) -> WhepViewer:
        """Answer the offer of a viewer of `relay`'s hub; ValueError says why it is unusable."""
        return await cls._answered(offer_sdp, lambda pc: cls(relay, on_ended, pc))

    async def _negotiate(self, offer: str) -> None:
        pc = self._pc
        # aiortc cannot answer while a transceiver of a kind the offer lacks is left over.
        kinds = offered_kinds(offer)
        transceivers: dict[str, tuple[RTCRtpTransceiver, RelayTrack]] = {}
        if "video" in kinds:
            track = RelayTrack("video")
            video = pc.addTransceiver(track, direction="sendonly")
            video.setCodecPreferences(_video_codecs(self.video_codec))
            # packets ignore a viewer's PLI/FIR: the publisher must send the keyframe
            forward_keyframe_requests(video.sender, self._hub.request_keyframe)
            feed_sender(video.sender, self._relay, self._outlet, "video")
            transceivers["video"] = (video, track)
        if "audio" in kinds:
            track = RelayTrack("audio")
            audio = pc.addTransceiver(track, direction="sendonly")
            audio.setCodecPreferences(_codecs("audio", ("audio/opus",)))
            feed_sender(audio.sender, self._relay, self._outlet, "audio")
            transceivers["audio"] = (audio, track)
        await apply_offer(pc, offer)
        self.answer_sdp = await answer(pc)
        # No common codec already failed in apply_offer; a sendonly offer leaves us inactive.
        self._tracks = {kind: track for kind, (t, track) in transceivers.items() if _sends(t)}
        if not self._tracks:
            raise ValueError("the SDP offer receives no media (it should be recvonly)")
        self._outlet.kinds = frozenset(self._tracks)

    def _start(self) -> None:
        @self._pc.on("connectionstatechange")
        async def on_state() -> None:
            if self._pc.connectionState in ("failed", "closed"):
                await self.close()

        self._relay.attach(self._outlet)
        self._tasks.spawn(self._request_keyframes())
        self._tasks.spawn(self._hang_up_unless_connected())

    def _codec_changed(self, codec: str) -> None:
        log.info("viewer %s: the camera now sends %s; hanging up", self.id, codec)
        self._outlet.close()
        self._tasks.spawn(self.close())

    async def _request_keyframes(self) -> None:
        """PLI the publisher (hub-throttled) about once a second while this viewer waits."""
        while True:
            if self._outlet.waiting_for_keyframe:
                self._hub.request_keyframe()
            await asyncio.sleep(KEYFRAME_RETRY_S)

    def _leave_hub(self) -> None:
        self._relay.detach(self._outlet)


def _codecs(kind: str, mime_types: tuple[str, ...]) -> list[RTCRtpCodecCapability]:
    capabilities = RTCRtpSender.getCapabilities(kind)
    assert capabilities is not None
    return [c for c in capabilities.codecs if c.mimeType.lower() in mime_types]


def _video_codecs(codec: str) -> list[RTCRtpCodecCapability]:
    """Only the publisher's codec (plus RTX): the sender would label packets with the first."""
    wanted = _codecs("video", (f"video/{codec}", "video/rtx"))

    def rank(capability: RTCRtpCodecCapability) -> int:
        if capability.mimeType.lower() == "video/rtx":
            return len(H264_PROFILE_ORDER) + 1
        profile = str(capability.parameters.get("profile-level-id", "")).lower()
        return H264_PROFILE_ORDER.index(profile) if profile in H264_PROFILE_ORDER else 0

    return sorted(wanted, key=rank)


def _sends(transceiver: RTCRtpTransceiver) -> bool:
    """Whether the answer sends on this transceiver (the offer may not want every kind)."""
    return transceiver.mid is not None and transceiver.currentDirection in ("sendonly", "sendrecv")
