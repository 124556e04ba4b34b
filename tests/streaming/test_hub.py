"""The hub never lets a slow consumer hold back the publisher or anyone else."""

from __future__ import annotations

import asyncio

from streaming.delay_line import DelayLine
from streaming.frames import EncodedFrame, SourceEnded
from streaming.hub import Hub


def frame(n: int, *, keyframe: bool = False) -> EncodedFrame:
    return EncodedFrame("video", "h264", bytes([n]), n * 3000, 90_000, keyframe, n / 30, "pub")


async def test_slow_consumer_skips_to_the_next_keyframe_and_others_get_everything() -> None:
    hub = Hub()
    slow = hub.subscribe(maxsize=3)
    fast = hub.subscribe(maxsize=100)
    for n in range(10):
        hub.publish(frame(n, keyframe=n in (0, 6)))
    slow.close()
    fast.close()
    assert [f.pts // 3000 async for f in fast if isinstance(f, EncodedFrame)] == list(range(10))
    # 0-2 fit; the rest is dropped: 6 is a keyframe but the unread queue is still full
    assert [f.pts // 3000 async for f in slow if isinstance(f, EncodedFrame)] == [0, 1, 2]
    assert slow.dropped == 7


async def test_consumer_that_catches_up_resumes_on_a_keyframe() -> None:
    hub = Hub()
    slow = hub.subscribe(maxsize=2)
    received: list[int] = []
    for n in range(8):
        hub.publish(frame(n, keyframe=n in (0, 5)))
        if n == 3:  # the consumer wakes up and empties its queue
            received += [(await anext(slow)).pts // 3000 for _ in range(2)]  # type: ignore[union-attr]
    slow.close()
    received += [f.pts // 3000 async for f in slow if isinstance(f, EncodedFrame)]
    assert received == [0, 1, 5, 6]


async def test_publisher_leaving_is_seen_after_its_last_frame() -> None:
    hub = Hub()
    requests: list[int] = []

    def requester() -> None:
        requests.append(1)

    hub.attach_publisher(requester)
    recorder = hub.subscribe(maxsize=10)
    hub.publish(frame(0, keyframe=True))
    hub.detach_publisher(requester, "pub")
    recorder.close()
    items = [item async for item in recorder]
    assert isinstance(items[0], EncodedFrame)
    assert items[1] == SourceEnded("pub")
    assert not hub.publishing


async def test_a_reader_waiting_for_frames_wakes_on_each_and_a_cancelled_one_loses_none() -> None:
    hub = Hub()
    viewer = hub.subscribe(maxsize=10)
    waiting = asyncio.ensure_future(anext(viewer))
    await asyncio.sleep(0)  # it waits: nothing is queued
    waiting.cancel()  # its reader goes away while it waits
    await asyncio.gather(waiting, return_exceptions=True)
    hub.publish(frame(0, keyframe=True))  # wakes nobody: that waiter is gone
    reader = asyncio.ensure_future(anext(viewer))
    await asyncio.sleep(0)
    assert reader.done() and reader.result().pts == 0  # type: ignore[union-attr]
    reader = asyncio.ensure_future(anext(viewer))  # waits, then wakes on the next frame
    await asyncio.sleep(0)
    assert not reader.done()
    hub.publish(frame(1))
    assert (await reader).pts == 3000  # type: ignore[union-attr]
    viewer.close()
    assert [item async for item in viewer] == []


def test_keyframe_requests_are_throttled() -> None:
    now = [100.0]
    hub = Hub(clock=lambda: now[0])
    requests: list[float] = []
    hub.attach_publisher(lambda: requests.append(now[0]))
    for step in range(20):
        now[0] = 100.0 + step * 0.1
        hub.request_keyframe()
    assert len(requests) == 4  # every half second over two seconds


async def test_delay_line_releases_frames_late_in_order_and_forgets_them_when_closed() -> None:
    now = [0.0]
    live = Hub(clock=lambda: now[0])
    line = DelayLine(live, delay_s=2.0, clock=lambda: now[0])
    viewer = line.output.subscribe(maxsize=100)
    for n in range(3):
        live.publish(frame(n, keyframe=n == 0))
    await asyncio.sleep(0.01)
    assert viewer.backlog == 0 and line.held == 3  # nothing before its time
    now[0] = 2.0
    await asyncio.sleep(0.05)
    assert [(await anext(viewer)).pts // 3000 for _ in range(3)] == [0, 1, 2]  # type: ignore[union-attr]
    live.publish(frame(3))
    await asyncio.sleep(0.01)
    await line.close()  # the kill switch: what waited is gone
    now[0] = 10.0
    await asyncio.sleep(0.05)
    assert viewer.backlog == 0 and line.held == 0
    assert live.subscribers == 0
