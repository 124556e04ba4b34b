"""A WHEP viewer: one watcher's peer connection fed, still encoded, from a camera hub.

Nothing is decoded or encoded: the senders get `av.Packet`s and only packetize
them. A viewer reads its own bounded hub subscription, so one that falls
behind skips to the next keyframe while the publisher, the recorder and the
other viewers carry on. Codecs are fixed inside setRemoteDescription and the
sender uses the first one, so the publisher's codec is put first before the
offer is applied.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import av
from aiortc import RTCPeerConnection, RTCRtpSender, RTCRtpTransceiver
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtcrtpparameters import RTCRtpCodecCapability

from streaming.frames import EncodedFrame, MediaKind, SourceEnded
from streaming.hub import Hub, Subscription
from streaming.peer import HubPeer, answer, apply_offer
from streaming.sdp import offered_kinds

log = logging.getLogger(__name__)

VIEWER_QUEUE_FRAMES = 2 * (30 + 50)  # about 2 s of 30 fps video and 20 ms Opus
TRACK_QUEUE_FRAMES = 8  # between the pump and a sender, which never waits on the network
KEYFRAME_RETRY_S = 1.0
DEFAULT_VIDEO_CODEC = "h264"  # before any publisher was seen: what the recorder prefers
# Label H.264 with the richest profile the viewer accepts: a decoder for a higher profile
# plays a lower one, while Safari shows black when the SDP claims less than the stream uses.
H264_PROFILE_ORDER = ("64001f", "4d001f", "640c1f", "42e01f", "42001f")
NOMINAL_FRAME_TICKS = {"video": 3000, "audio": 960}  # 30 fps at 90 kHz, 20 ms at 48 kHz


class RelayTrack(MediaStreamTrack):
    """A send track whose `recv` returns packets, so aiortc packetizes instead of encoding."""

    def __init__(self, kind: MediaKind) -> None:
        super().__init__()
        self.kind = kind
        self._queue: asyncio.Queue[av.Packet] = asyncio.Queue(TRACK_QUEUE_FRAMES)

    async def put(self, packet: av.Packet) -> None:
        await self._queue.put(packet)

    async def recv(self) -> av.Packet:
        if self.readyState != "live":
            raise MediaStreamError
        return await self._queue.get()


@dataclass
class Timeline:
    """One kind's outgoing timestamps: continuous for the viewer across publications.

    Each publication's pts starts at 0, so a publisher that reconnects would
    make RTP time jump back; the viewer's timeline instead moves on by the
    wall-clock gap between the publications (at least one frame).
    """

    step: int
    source_id: str | None = None
    offset: int = 0
    last_pts: int | None = None
    last_wallclock: float = 0.0

    def rebase(self, frame: EncodedFrame) -> int:
        if frame.source_id != self.source_id:
            self.source_id = frame.source_id
            if self.last_pts is None:
                self.offset = -frame.pts
            else:
                gap = round((frame.wallclock - self.last_wallclock) * frame.clock_rate)
                self.offset = self.last_pts + max(self.step, gap) - frame.pts
        pts = frame.pts + self.offset
        self.last_pts, self.last_wallclock = pts, frame.wallclock
        return pts


class WhepViewer(HubPeer):
    """One viewer of one camera, from the answered offer until either side hangs up."""

    def __init__(
        self, hub: Hub, on_ended: Callable[[WhepViewer], None], pc: RTCPeerConnection
    ) -> None:
        super().__init__(hub, on_ended, pc)
        self.video_codec = hub.video_codec or DEFAULT_VIDEO_CODEC
        self._tracks: dict[str, RelayTrack] = {}
        self._subscription: Subscription | None = None
        self._waiting_for_keyframe = True

    async def _negotiate(self, offer: str) -> None:
        pc = self._pc
        # aiortc cannot answer while a transceiver of a kind the offer lacks is left over.
        kinds = offered_kinds(offer)
        transceivers: dict[str, tuple[RTCRtpTransceiver, RelayTrack]] = {}
        if "video" in kinds:
            track = RelayTrack("video")
            video = pc.addTransceiver(track, direction="sendonly")
            video.setCodecPreferences(_video_codecs(self.video_codec))
            # A viewer's PLI/FIR only sets a flag the packet path never reads: ask the publisher.
            video.sender._send_keyframe = self._hub.request_keyframe  # type: ignore[method-assign]
            transceivers["video"] = (video, track)
        if "audio" in kinds:
            track = RelayTrack("audio")
            audio = pc.addTransceiver(track, direction="sendonly")
            audio.setCodecPreferences(_codecs("audio", ("audio/opus",)))
            transceivers["audio"] = (audio, track)
        await apply_offer(pc, offer)
        self.answer_sdp = await answer(pc)
        # No common codec already failed in apply_offer; a sendonly offer leaves us inactive.
        self._tracks = {kind: track for kind, (t, track) in transceivers.items() if _sends(t)}
        if not self._tracks:
            raise ValueError("the SDP offer receives no media (it should be recvonly)")

    def _start(self) -> None:
        @self._pc.on("connectionstatechange")
        async def on_state() -> None:
            if self._pc.connectionState in ("failed", "closed"):
                await self.close()

        self._subscription = self._hub.subscribe(maxsize=VIEWER_QUEUE_FRAMES)
        self._tasks.spawn(self._pump(self._subscription))
        self._tasks.spawn(self._request_keyframes())
        self._tasks.spawn(self._hang_up_unless_connected())

    async def _pump(self, subscription: Subscription) -> None:
        """Hub -> senders, from a video keyframe on, with timestamps on the viewer's timeline."""
        timelines = {kind: Timeline(step) for kind, step in NOMINAL_FRAME_TICKS.items()}
        time_bases: dict[int, Fraction] = {}
        async for item in subscription:
            if isinstance(item, SourceEnded):
                self._waiting_for_keyframe = True  # the next publisher starts where it starts
                continue
            if item.kind == "video" and item.codec != self.video_codec:
                log.info("viewer %s: the camera now sends %s; hanging up", self.id, item.codec)
                self._tasks.spawn(self.close())
                return
            if self._waiting_for_keyframe:
                if not (item.kind == "video" and item.keyframe):
                    continue
                self._waiting_for_keyframe = False
            track = self._tracks.get(item.kind)
            if track is None:
                continue
            packet = av.Packet(item.data)
            packet.pts = timelines[item.kind].rebase(item)
            time_base = time_bases.get(item.clock_rate)
            if time_base is None:
                time_base = time_bases[item.clock_rate] = Fraction(1, item.clock_rate)
            packet.time_base = time_base
            await track.put(packet)

    async def _request_keyframes(self) -> None:
        """PLI the publisher (hub-throttled) about once a second while this viewer waits."""
        while True:
            if self._waiting_for_keyframe:
                self._hub.request_keyframe()
            await asyncio.sleep(KEYFRAME_RETRY_S)

    def _leave_hub(self) -> None:
        if self._subscription is not None:
            self._subscription.close()


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
