"""One hub per camera: the publisher's encoded frames fanned out to every consumer.

Each consumer (the recorder, a WHEP viewer, live HLS) reads its own bounded
queue. The publisher never waits: a consumer whose queue is full loses frames
until the next video keyframe, so it resumes on a decodable picture, and
nobody else notices.

The hub also keeps the camera's current GOP (its pre-roll), so a recording
started mid-GOP begins at the keyframe before the start command instead of
waiting for the next one, which a file publisher or a fixed-GOP hardware
encoder sends only when its GOP comes round, whatever PLI asks.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from streaming.frames import EncodedFrame, SourceEnded
from streaming.relay import FrameRelay

HubItem = EncodedFrame | SourceEnded

KEYFRAME_REQUEST_INTERVAL_S = 0.5
RATE_WINDOW_S = 2.0  # frames and bytes over this window give a feed's fps and bitrate
PREROLL_MAX_BYTES = 8 * 1024 * 1024  # a 2 s GOP at 2.5 Mbit/s is about 0.6 MB
PREROLL_MAX_AGE_S = 10.0

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FeedRates:
    """A camera's recent traffic, for the operator's feed health (counted, never decoded)."""

    video_fps: float
    bitrate_bps: float
    audio_frames_per_s: float


class Preroll:
    """The frames since (and including) the camera's newest video keyframe, audio interleaved
    as published: what a recording started now can begin with.

    Bounded by `max_bytes` and `max_age_s` (from the keyframe's arrival): a camera whose GOP
    outgrows either bound has its pre-roll dropped whole, since frames without their keyframe
    decode to nothing, and a recording started before its next keyframe begins at that
    keyframe, as it would without a pre-roll. So a camera holds at most one GOP, never more
    than the bounds, and usually a few hundred kilobytes.
    """

    def __init__(self, max_bytes: int, max_age_s: float) -> None:
        self._max_bytes = max_bytes
        self._max_age_s = max_age_s
        self._frames: deque[EncodedFrame] = deque()
        self._keyframe_at = 0.0  # hub clock
        self.bytes = 0

    def keep(self, frame: EncodedFrame, now: float) -> None:
        if frame.kind == "video" and frame.keyframe:
            self.clear()
            self._keyframe_at = now
        elif not self._frames or frame.source_id != self._frames[0].source_id:
            self.clear()  # nothing to decode it from
            return
        self._frames.append(frame)
        self.bytes += len(frame.data)
        if self.bytes > self._max_bytes or now - self._keyframe_at > self._max_age_s:
            self.clear()

    def clear(self) -> None:
        self._frames.clear()
        self.bytes = 0

    def frames_within(self, seconds: float, now: float) -> list[EncodedFrame]:
        """The kept GOP if its keyframe arrived at most `seconds` ago (and within the age
        bound), else nothing: a GOP cut at its start would not decode."""
        age = now - self._keyframe_at
        if not self._frames or age > min(seconds, self._max_age_s):
            return []
        return list(self._frames)

    def __len__(self) -> int:
        return len(self._frames)


class Subscription:
    """A consumer's view of a hub: an async iterator of frames that ends when closed."""

    def __init__(self, hub: Hub, maxsize: int, *, from_keyframe: bool = False) -> None:
        if maxsize < 1:
            raise ValueError("a subscription holds at least one frame")
        self._hub = hub
        # a bounded queue with one reader: a deque and the reader's waiter, since every frame
        # of every camera passes here (asyncio.Queue costs a few Python calls more per frame)
        self._queue: deque[HubItem | None] = deque()
        self._maxsize = maxsize
        self._waiter: asyncio.Future[None] | None = None
        # its reader's loop, asked once: asking costs a getpid() system call each time
        self._loop: asyncio.AbstractEventLoop | None = None
        self._skipping = from_keyframe
        self._closed = False
        self.dropped = 0
        self.first_frame: EncodedFrame | None = None  # the first frame this consumer took
        self._taker: Callable[[EncodedFrame], bool] | None = None  # see `take_at_once`

    def offer(self, frame: EncodedFrame) -> None:
        """Queue a frame, or drop it while this consumer catches up to a keyframe."""
        if self._closed:
            return
        if self._skipping:
            if not (frame.kind == "video" and frame.keyframe):
                self.dropped += 1
                return
            self._skipping = False
        if self.first_frame is None:
            self.first_frame = frame
        if self._taker is not None and self._reader_waits() and self._taken(frame, self._taker):
            return
        if len(self._queue) >= self._maxsize:
            self._skipping = True
            self.dropped += 1
            self._hub.request_keyframe()
            return
        self._put(frame)

    def take_at_once(self, taker: Callable[[EncodedFrame], bool]) -> None:
        """While the reader waits with nothing queued, offer each frame to `taker` in the
        publisher's call; True: it took the frame, and the reader's task is not woken.

        Waking a task for every frame of every camera (a future, a callback, a turn of the
        loop) cost 3-5 % of the server's CPU recording 8 cameras (side by side: 0.968x and
        0.951x). Whatever `taker` declines is queued for the reader as before, in order: it
        is only asked while everything before the frame has been read. A `taker` that raises
        is logged and not asked again; that frame is lost, as it would have been to a reader
        that raised."""
        self._taker = taker

    def _reader_waits(self) -> bool:
        """Whether the reader waits, so nothing is queued: `_put` wakes it and clears this."""
        waiter = self._waiter
        return waiter is not None and not waiter.done()

    def _taken(self, frame: EncodedFrame, taker: Callable[[EncodedFrame], bool]) -> bool:
        try:
            return taker(frame)
        except Exception:  # the publisher's call carries every consumer: never raise into it
            log.exception("a consumer failed to take a frame; it reads its queue from now on")
            self._taker = None
            return True

    def end_of_source(self, marker: SourceEnded) -> None:
        """Tell the reader a publication ended (dropped if the queue is full: it is catching up)."""
        if not self._closed and len(self._queue) < self._maxsize:
            self._put(marker)

    def close(self) -> None:
        """Stop taking frames; the reader still gets what is queued, then the iteration ends."""
        if self._closed:
            return
        self._closed = True
        self._hub.unsubscribe(self)
        if len(self._queue) < self._maxsize:
            self._put(None)

    def _put(self, item: HubItem | None) -> None:
        self._queue.append(item)
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():  # done: its reader was cancelled
            waiter.set_result(None)

    @property
    def backlog(self) -> int:
        return len(self._queue)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> HubItem:
        if self._closed and not self._queue:
            raise StopAsyncIteration
        while not self._queue:
            if self._loop is None:
                self._loop = asyncio.get_running_loop()
            self._waiter = self._loop.create_future()
            await self._waiter
        frame = self._queue.popleft()
        if frame is None:
            raise StopAsyncIteration
        return frame


class Hub:
    """Fan-out point of one camera; outlives its publishers so consumers can wait for one."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        *,
        preroll_max_bytes: int = PREROLL_MAX_BYTES,
        preroll_max_age_s: float = PREROLL_MAX_AGE_S,
    ) -> None:
        self._subscriptions: list[Subscription] = []
        self._keyframe_requester: Callable[[], None] | None = None
        self._clock = clock
        self._last_request = -KEYFRAME_REQUEST_INTERVAL_S
        self._last_frame_at: float | None = None
        self.frames_published = 0
        self.bytes_published = 0
        self._last_keyframe_at: float | None = None
        self._last_audio_at: float | None = None
        self._recent: deque[tuple[float, int, bool]] = deque()  # (time, bytes, is video)
        self.video_codec: str | None = None  # what a viewer joining now must be offered
        self.preroll = Preroll(preroll_max_bytes, preroll_max_age_s)

    @property
    def publishing(self) -> bool:
        return self._keyframe_requester is not None

    def attach_publisher(self, keyframe_requester: Callable[[], None]) -> None:
        self._keyframe_requester = keyframe_requester
        self._last_request = -KEYFRAME_REQUEST_INTERVAL_S

    def detach_publisher(self, keyframe_requester: Callable[[], None], source_id: str) -> None:
        """The publication `source_id` ended: consumers learn it after its last frame."""
        if self._keyframe_requester == keyframe_requester:  # bound methods are new objects
            self._keyframe_requester = None
        self.announce(SourceEnded(source_id))

    def announce(self, marker: SourceEnded) -> None:
        """Pass the end of a publication on to every consumer, in order with the frames;
        its GOP is no pre-roll for a recording that starts after it ended."""
        self.preroll.clear()
        for subscription in list(self._subscriptions):
            subscription.end_of_source(marker)

    def subscribe(
        self, maxsize: int, *, preroll_within_s: float | None = None, from_keyframe: bool = False
    ) -> Subscription:
        """A consumer of the frames published from now on; with `preroll_within_s`, its
        queue starts with the kept GOP if that GOP's keyframe arrived at most that many
        seconds ago (the recorder's choice: viewers want the live edge). Publishing runs on
        the event loop like this, so the live frames follow the GOP with no gap and no
        duplicate. `from_keyframe` starts it at the next video keyframe (`first_frame`),
        which another consumer of the same camera may stop just before."""
        subscription = Subscription(self, maxsize, from_keyframe=from_keyframe)
        if preroll_within_s is not None:
            for frame in self.preroll.frames_within(preroll_within_s, self._clock()):
                subscription.offer(frame)
        self._subscriptions.append(subscription)
        return subscription

    def add_consumer(self, consumer: Subscription) -> None:
        """A consumer of its own kind (one that forwards frames as they come, such as a
        program feed's tap) takes the frames published from now on."""
        self._subscriptions.append(consumer)

    def unsubscribe(self, subscription: Subscription) -> None:
        if subscription in self._subscriptions:
            self._subscriptions.remove(subscription)

    @property
    def subscribers(self) -> int:
        return len(self._subscriptions)

    def seconds_since_last_frame(self) -> float | None:
        """How long the camera has been silent; None if it never sent a frame."""
        return None if self._last_frame_at is None else self._clock() - self._last_frame_at

    def seconds_since_keyframe(self) -> float | None:
        """Age of the last video keyframe; None if none came yet."""
        return None if self._last_keyframe_at is None else self._clock() - self._last_keyframe_at

    def seconds_since_audio(self) -> float | None:
        """How long the camera's microphone has sent nothing; None if it never did."""
        return None if self._last_audio_at is None else self._clock() - self._last_audio_at

    def rates(self) -> FeedRates:
        """Video frames, audio frames and bits per second over the last RATE_WINDOW_S."""
        self._forget_old(self._clock())
        video = sum(1 for _, _, is_video in self._recent if is_video)
        audio = len(self._recent) - video
        size = sum(size for _, size, _ in self._recent)
        return FeedRates(
            video_fps=video / RATE_WINDOW_S,
            bitrate_bps=size * 8 / RATE_WINDOW_S,
            audio_frames_per_s=audio / RATE_WINDOW_S,
        )

    def _forget_old(self, now: float) -> None:
        while self._recent and now - self._recent[0][0] > RATE_WINDOW_S:
            self._recent.popleft()

    def publish(self, frame: EncodedFrame) -> None:
        now = self._clock()
        self.frames_published += 1
        self.bytes_published += len(frame.data)
        self._last_frame_at = now
        self._recent.append((now, len(frame.data), frame.kind == "video"))
        self._forget_old(now)
        if frame.kind == "video":
            self.video_codec = frame.codec
            if frame.keyframe:
                self._last_keyframe_at = now
        else:
            self._last_audio_at = now
        self.preroll.keep(frame, now)
        for subscription in list(self._subscriptions):
            subscription.offer(frame)

    def request_keyframe(self) -> None:
        """Ask the publisher for a keyframe (RTCP PLI), at most every half second."""
        now = self._clock()
        if (
            self._keyframe_requester is None
            or now - self._last_request < KEYFRAME_REQUEST_INTERVAL_S
        ):
            return
        self._last_request = now
        self._keyframe_requester()


class HubRegistry:
    """Hubs by (courtroom, camera), created on first use, and each hub's one WHEP relay."""

    def __init__(self) -> None:
        self._hubs: dict[tuple[str, str], Hub] = {}
        # by hub, since a delay line's output hub has viewers and a relay too
        self._relays: weakref.WeakKeyDictionary[Hub, FrameRelay] = weakref.WeakKeyDictionary()

    def hub(self, courtroom_id: str, camera: str) -> Hub:
        key = (courtroom_id, camera)
        hub = self._hubs.get(key)
        if hub is None:
            hub = self._hubs[key] = Hub()
        return hub

    def relay(self, hub: Hub) -> FrameRelay:
        """The one relay of a hub (a registry's or a delay line's), created on first use."""
        relay = self._relays.get(hub)
        if relay is None:
            relay = self._relays[hub] = FrameRelay(hub)
        return relay
