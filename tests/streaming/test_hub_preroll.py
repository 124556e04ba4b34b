"""The hub's pre-roll: a recording started mid-GOP begins at the keyframe before it.

Frames are numbered in their payload; a subscription asking for the pre-roll must read
the kept GOP and then the live frames as one run, with nothing missing or repeated.
"""

from __future__ import annotations

from streaming.frames import EncodedFrame, SourceEnded
from streaming.hub import Hub, Subscription

GOP = 6


def video(n: int, *, source: str = "pub", size: int = 1) -> EncodedFrame:
    data = n.to_bytes(4, "big") + bytes(max(0, size - 4))
    return EncodedFrame("video", "h264", data, n * 3000, 90_000, n % GOP == 0, n / 30, source)


def audio(n: int) -> EncodedFrame:
    return EncodedFrame("audio", "opus", n.to_bytes(4, "big"), n * 960, 48_000, False, n, "pub")


def label(frame: EncodedFrame) -> str:
    return f"{frame.kind[0]}{int.from_bytes(frame.data[:4], 'big')}"


async def drain(subscription: Subscription) -> list[str]:
    """Every frame the consumer reads, once it stops taking new ones."""
    subscription.close()
    return [label(item) async for item in subscription if isinstance(item, EncodedFrame)]


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_a_recorder_joining_mid_gop_reads_from_the_last_keyframe_then_live_without_gap() -> (
    None
):
    clock = Clock()
    hub = Hub(clock=clock)
    published: list[str] = []
    for n in range(10):  # keyframes 0 and 6; audio interleaved as a camera sends it
        hub.publish(video(n))
        hub.publish(audio(n))
        published += [f"v{n}", f"a{n}"]
        clock.now += 1 / 30
    recorder = hub.subscribe(maxsize=100, preroll_within_s=60)
    viewer = hub.subscribe(maxsize=100)
    for n in range(10, 14):
        hub.publish(video(n))
        published.append(f"v{n}")
    assert await drain(recorder) == published[published.index("v6") :]
    assert await drain(viewer) == ["v10", "v11", "v12", "v13"]  # viewers keep the live edge


async def test_nothing_is_seeded_before_the_first_keyframe_or_without_asking() -> None:
    hub = Hub()
    hub.publish(audio(0))
    hub.publish(video(1))  # the camera's stream was joined mid-GOP: nothing decodes yet
    assert await drain(hub.subscribe(maxsize=100, preroll_within_s=60)) == []
    hub.publish(video(6))
    assert await drain(hub.subscribe(maxsize=100)) == []
    assert await drain(hub.subscribe(maxsize=100, preroll_within_s=60)) == ["v6"]


async def test_a_keyframe_older_than_the_cut_is_not_lent() -> None:
    """A hearing switch after the keyframe: the GOP began under the other hearing."""
    clock = Clock()
    hub = Hub(clock=clock)
    hub.publish(video(6))
    clock.now += 1.0
    hub.publish(video(7))
    assert await drain(hub.subscribe(maxsize=100, preroll_within_s=0.5)) == []
    assert await drain(hub.subscribe(maxsize=100, preroll_within_s=1.0)) == ["v6", "v7"]
    assert await drain(hub.subscribe(maxsize=100, preroll_within_s=0.0)) == []


async def test_a_gop_over_the_byte_bound_is_dropped_whole_until_the_next_keyframe() -> None:
    hub = Hub(preroll_max_bytes=1000)
    hub.publish(video(0, size=400))
    hub.publish(video(1, size=400))
    assert hub.preroll.bytes == 800
    hub.publish(video(2, size=400))  # over the bound: without its keyframe nothing decodes
    hub.publish(video(3, size=10))
    assert hub.preroll.bytes == 0 and len(hub.preroll) == 0
    assert await drain(hub.subscribe(maxsize=100, preroll_within_s=60)) == []
    hub.publish(video(6, size=10))
    assert await drain(hub.subscribe(maxsize=100, preroll_within_s=60)) == ["v6"]


async def test_a_gop_over_the_age_bound_is_dropped_and_a_silent_camera_lends_nothing() -> None:
    clock = Clock()
    hub = Hub(clock=clock, preroll_max_age_s=2.0)
    hub.publish(video(0))
    clock.now += 2.5
    hub.publish(video(1))  # a GOP longer than the bound
    assert len(hub.preroll) == 0
    hub.publish(video(6))
    clock.now += 3.0  # the camera went quiet without hanging up
    assert await drain(hub.subscribe(maxsize=100, preroll_within_s=60)) == []


async def test_a_publication_that_ended_or_changed_lends_nothing() -> None:
    hub = Hub()
    hub.publish(video(0))
    hub.detach_publisher(lambda: None, "pub")
    assert await drain(hub.subscribe(maxsize=100, preroll_within_s=60)) == []
    hub.publish(video(6))
    hub.publish(video(7, source="other"))  # another publication's delta frame
    assert await drain(hub.subscribe(maxsize=100, preroll_within_s=60)) == []


async def test_a_pre_roll_larger_than_the_queue_skips_to_the_next_keyframe() -> None:
    hub = Hub()
    for n in range(6, 11):
        hub.publish(video(n))
    small = hub.subscribe(maxsize=3, preroll_within_s=60)
    assert small.dropped == 2
    hub.publish(video(11))
    hub.publish(video(12))
    assert await drain(small) == ["v6", "v7", "v8"]  # the queue is still full when 12 comes


async def test_source_ended_marker_follows_the_pre_roll() -> None:
    hub = Hub()
    hub.publish(video(6))
    recorder = hub.subscribe(maxsize=10, preroll_within_s=60)
    hub.announce(SourceEnded("pub"))
    recorder.close()
    items = [label(i) if isinstance(i, EncodedFrame) else i async for i in recorder]
    assert items == ["v6", SourceEnded("pub")]
