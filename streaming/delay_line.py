"""Broadcast delay: a camera's frames replayed a fixed time late, for public viewers.

One delay line per camera and delay serves every public viewer of it, so a
60 s delay costs one minute of frames in memory, not one per viewer. Closing it
discards what is still waiting: the court's kill switch must leave nothing
queued to leak out afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable

from streaming.frames import SourceEnded
from streaming.hub import Hub, HubItem

FRAMES_PER_SECOND_BOUND = 200  # video + audio of one camera, with headroom


class DelayLine:
    def __init__(
        self, source: Hub, delay_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.delay_s = delay_s
        self.output = Hub(clock)
        self.output.video_codec = source.video_codec
        self.output.attach_publisher(source.request_keyframe)  # viewers' PLIs reach the camera
        self._clock = clock
        self._subscription = source.subscribe(
            maxsize=round(delay_s * FRAMES_PER_SECOND_BOUND) + FRAMES_PER_SECOND_BOUND
        )
        self._waiting: deque[tuple[float, HubItem]] = deque()
        self._arrived = asyncio.Event()
        self._tasks = [
            asyncio.create_task(self._take_in(), name="delay line in"),
            asyncio.create_task(self._let_out(), name="delay line out"),
        ]

    @property
    def held(self) -> int:
        """Frames waiting for their time."""
        return len(self._waiting)

    async def _take_in(self) -> None:
        async for item in self._subscription:
            self._waiting.append((self._clock() + self.delay_s, item))
            self._arrived.set()

    async def _let_out(self) -> None:
        while True:
            if not self._waiting:
                self._arrived.clear()
                await self._arrived.wait()
                continue
            due, item = self._waiting[0]
            wait = due - self._clock()
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            self._waiting.popleft()
            if isinstance(item, SourceEnded):
                self.output.announce(item)
            else:
                self.output.publish(item)

    async def close(self) -> None:
        """Stop at once and forget every frame still waiting."""
        self._subscription.close()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._waiting.clear()
