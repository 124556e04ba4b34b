"""The live relay of one camera: a hub's frames packetized once, then shared by every viewer.

One task per hub reads a single hub subscription, rebases timestamps onto a
continuous timeline and splits each frame into RTP payloads (H.264 FU-A/STAP-A,
VP8 descriptors, Opus as is) once for all viewers. Each viewer owns an
`Outlet`: two small bounded queues its RTP senders read. Offering never waits:
an outlet whose video queue is full drops to the next video keyframe (and asks
the publisher for one), a full audio queue drops its oldest frame, so a slow
viewer costs only itself. Per viewer and frame only a queue append and a
wake-up remain; per packet, two header bytes, SRTP and a send
(streaming/relay_sender.py, which replaces aiortc's RTP loop: aiortc would
re-packetize every frame per viewer and build a packet object per packet).
Large frames (keyframes) are paced by the relay's `BurstPacer`, in a fresh
random order per keyframe. A hub's one relay is kept
by the HubRegistry.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiortc.mediastreams import MediaStreamError

from storage.archive import MediaKind
from streaming.aiortc_hooks import h264_payloads, vp8_payloads
from streaming.frames import EncodedFrame, SourceEnded

if TYPE_CHECKING:  # hub.py's HubRegistry creates the relays
    from streaming.hub import Hub, Subscription

log = logging.getLogger(__name__)

RELAY_QUEUE_FRAMES = 30 + 50  # the shared reader's hub queue: about 1 s of video and audio
OUTLET_VIDEO_FRAMES = 30  # a viewer more than ~1 s behind skips to the next keyframe
OUTLET_AUDIO_FRAMES = 50  # ~1 s of 20 ms Opus; the oldest goes first
NOMINAL_FRAME_TICKS = {"video": 3000, "audio": 960}  # 30 fps at 90 kHz, 20 ms at 48 kHz
BURST_PACKETS = 24  # larger frames are paced; ~8 packets is an average 2.5 Mbit/s P-frame
PACKETS_PER_TURN = 600  # paced packets per turn of the event loop: ~10 ms of sending


@dataclass(frozen=True, slots=True)
class RelayFrame:
    """One frame as every viewer sends it: RTP payloads and RTP time (before the SSRC origin);
    `joined` and `lengths` lay the payloads end to end once for every viewer's native send."""

    kind: MediaKind
    codec: str
    payloads: list[bytes]
    timestamp: int
    keyframe: bool
    joined: bytes = field(init=False)
    lengths: list[int] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "joined", b"".join(self.payloads))
        object.__setattr__(self, "lengths", [len(payload) for payload in self.payloads])


@dataclass
class Timeline:
    """One kind's outgoing timestamps: continuous for viewers across publications.

    Each publication's pts starts at 0, so a publisher that reconnects would
    make RTP time jump back; the timeline instead moves on by the wall-clock
    gap between the publications (at least one frame).
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


class Packetizer:
    """Encoded frames to RTP payloads, the way aiortc's encoders `pack` them."""

    def __init__(self) -> None:
        self._vp8_picture_id = 0

    def payloads(self, frame: EncodedFrame) -> list[bytes]:
        if frame.codec == "h264":
            return h264_payloads(frame.data)
        if frame.codec == "vp8":
            picture_id = self._vp8_picture_id
            self._vp8_picture_id = (picture_id + 1) % (1 << 15)
            return vp8_payloads(frame.data, picture_id)
        return [frame.data]  # Opus: one packet per payload


class _Queue:
    """A bounded deque with one waiting reader (a sender's RTP task)."""

    def __init__(self) -> None:
        self.frames: deque[RelayFrame] = deque()
        self.waiter: asyncio.Future[None] | None = None

    def push(self, frame: RelayFrame) -> None:
        self.frames.append(frame)
        self.wake()

    def wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


class Outlet:
    """One viewer's share of a relay: what its video and audio senders read, never blocking."""

    def __init__(
        self,
        video_codec: str,
        request_keyframe: Callable[[], None],
        on_codec_change: Callable[[str], None],
    ) -> None:
        self.video_codec = video_codec
        self._request_keyframe = request_keyframe
        self._on_codec_change = on_codec_change
        self._queues: dict[str, _Queue] = {"video": _Queue(), "audio": _Queue()}
        self.kinds: frozenset[str] = frozenset(self._queues)  # what the viewer's senders send
        self._started = False  # nothing goes out before the first video keyframe
        self._video_skipping = False
        self._closed = False
        self.dropped = 0

    @property
    def waiting_for_keyframe(self) -> bool:
        return not self._started or self._video_skipping

    def offer(self, frame: RelayFrame) -> None:
        if self._closed:
            return
        if frame.kind == "video":
            if frame.codec != self.video_codec:
                self._on_codec_change(frame.codec)
                return
            if "video" not in self.kinds:
                return
            if not self._started or self._video_skipping:
                if not frame.keyframe:
                    self.dropped += 1
                    return
                self._started, self._video_skipping = True, False
            video = self._queues["video"]
            if len(video.frames) >= OUTLET_VIDEO_FRAMES:
                video.frames.clear()  # the queued frames are useless without the next ones
                self._video_skipping = True
                self.dropped += OUTLET_VIDEO_FRAMES + 1
                self._request_keyframe()
                return
            video.push(frame)
            return
        if "audio" not in self.kinds or (not self._started and "video" in self.kinds):
            return
        audio = self._queues["audio"]
        if len(audio.frames) >= OUTLET_AUDIO_FRAMES:
            audio.frames.popleft()
            self.dropped += 1
        audio.push(frame)

    def end_of_source(self) -> None:
        """The next publisher starts where it starts: wait for its first keyframe."""
        self._started = False

    def backlog(self, kind: str) -> int:
        return len(self._queues[kind].frames)

    async def next(self, kind: str) -> RelayFrame:
        """The next frame of `kind`; MediaStreamError once the outlet is closed."""
        queue = self._queues[kind]
        while not queue.frames:
            if self._closed:
                raise MediaStreamError
            queue.waiter = asyncio.get_running_loop().create_future()
            try:
                await queue.waiter
            finally:
                queue.waiter = None
        return queue.frames.popleft()

    def close(self) -> None:
        self._closed = True
        for queue in self._queues.values():
            queue.frames.clear()
            queue.wake()


class BurstPacer:
    """Shares out one relay's keyframe bursts: at most `packets_per_turn` per turn of the
    event loop, so the loop reads its sockets between turns; the rest wait, in order."""

    def __init__(self, packets_per_turn: int) -> None:
        self.packets_per_turn = packets_per_turn
        self._sent = 0  # this turn's paced packets

    async def turn(self, packets: int) -> None:
        """Wait until `packets` more fit in this turn (a burst alone always fits a new one)."""
        while self._sent and self._sent + packets > self.packets_per_turn:
            await asyncio.sleep(0)
        if not self._sent:  # runs first thing in the next turn: it starts empty
            asyncio.get_running_loop().call_soon(self._new_turn)
        self._sent += packets

    def _new_turn(self) -> None:
        self._sent = 0


class FrameRelay:
    """The shared reader of one hub: runs while at least one outlet is attached."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self._outlets: list[Outlet] = []
        self._task: asyncio.Task[None] | None = None
        self._subscription: Subscription | None = None
        self._timelines = {kind: Timeline(step) for kind, step in NOMINAL_FRAME_TICKS.items()}
        self._packetizer = Packetizer()
        self.pacer = BurstPacer(PACKETS_PER_TURN)

    @property
    def outlets(self) -> int:
        return len(self._outlets)

    def attach(self, outlet: Outlet) -> None:
        self._outlets.append(outlet)
        if self._task is None:
            self._subscription = self.hub.subscribe(maxsize=RELAY_QUEUE_FRAMES)
            self._task = asyncio.ensure_future(self._run(self._subscription))

    def detach(self, outlet: Outlet) -> None:
        outlet.close()
        if outlet in self._outlets:
            self._outlets.remove(outlet)
        if not self._outlets and self._task is not None:
            self._task.cancel()
            self._task = None
            if self._subscription is not None:
                self._subscription.close()
                self._subscription = None

    async def _run(self, subscription: Subscription) -> None:
        async for item in subscription:
            try:
                self._relay(item)
            except Exception:  # one bad frame must not stop every viewer
                log.exception("relay: dropped a frame that could not be packetized")

    def _relay(self, item: EncodedFrame | SourceEnded) -> None:
        outlets = list(self._outlets)
        if isinstance(item, SourceEnded):
            for outlet in outlets:
                outlet.end_of_source()
            return
        frame = RelayFrame(
            kind=item.kind,
            codec=item.codec,
            payloads=self._packetizer.payloads(item),
            timestamp=self._timelines[item.kind].rebase(item) & 0xFFFFFFFF,
            keyframe=item.keyframe,
        )
        if not frame.payloads:  # e.g. no start code: aiortc would drop it too
            return
        if frame.keyframe:  # bursts go out in offer order: nobody is always served last
            random.shuffle(outlets)
        for outlet in outlets:
            outlet.offer(frame)
