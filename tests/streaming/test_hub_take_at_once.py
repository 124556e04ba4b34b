"""A consumer that takes frames in the publisher's call while its reader waits, so the
reader's task is not woken per frame: nothing is lost, reordered or taken twice."""

from __future__ import annotations

import asyncio
import logging

import pytest

from streaming.frames import EncodedFrame
from streaming.hub import Hub, Subscription


def frame(n: int) -> EncodedFrame:
    return EncodedFrame("video", "h264", bytes([n]), n * 3000, 90_000, n == 0, n / 30, "pub")


def number(item: object) -> int:
    assert isinstance(item, EncodedFrame)
    return item.pts // 3000


async def reading(subscription: Subscription, into: list[int]) -> None:
    async for item in subscription:
        into.append(number(item))


async def settle() -> None:
    """Let the reader task run until it waits again."""
    for _ in range(3):
        await asyncio.sleep(0)


async def test_frames_are_taken_while_the_reader_waits_and_read_in_order_otherwise() -> None:
    hub = Hub()
    subscription = hub.subscribe(maxsize=10)
    asked: list[int] = []

    def take_even(item: EncodedFrame) -> bool:
        asked.append(number(item))
        return number(item) % 2 == 0

    subscription.take_at_once(take_even)
    read: list[int] = []
    reader = asyncio.create_task(reading(subscription, read))
    await settle()
    hub.publish(frame(0))  # the reader waits: taken
    hub.publish(frame(1))  # declined: queued, the reader is woken
    hub.publish(frame(2))  # 1 is not read yet: queued behind it, the taker is not asked
    assert subscription.backlog == 2
    await settle()
    hub.publish(frame(4))  # the reader waits again: taken
    hub.publish(frame(5))
    subscription.close()
    await reader
    assert asked == [0, 1, 4, 5]
    assert read == [1, 2, 5]


async def test_no_frame_is_taken_unless_a_reader_waits() -> None:
    hub = Hub()
    subscription = hub.subscribe(maxsize=10)
    asked: list[int] = []
    subscription.take_at_once(lambda item: asked.append(number(item)) is None)
    hub.publish(frame(0))  # nobody reads yet
    read: list[int] = []
    reader = asyncio.create_task(reading(subscription, read))
    await settle()
    assert read == [0]
    reader.cancel()  # a reader that was cancelled while it waited
    with pytest.raises(asyncio.CancelledError):
        await reader
    hub.publish(frame(1))
    assert asked == []
    assert subscription.backlog == 1


async def test_a_taker_that_fails_is_logged_and_the_reader_gets_the_rest(
    caplog: pytest.LogCaptureFixture,
) -> None:
    hub = Hub()
    subscription = hub.subscribe(maxsize=10)
    everyone = hub.subscribe(maxsize=10)  # after it in the publisher's call
    asked: list[int] = []

    def fail_on_one(item: EncodedFrame) -> bool:
        asked.append(number(item))
        if number(item) == 1:
            raise RuntimeError("bug")
        return True

    subscription.take_at_once(fail_on_one)
    read: list[int] = []
    reader = asyncio.create_task(reading(subscription, read))
    await settle()
    with caplog.at_level(logging.ERROR, logger="streaming.hub"):
        for n in range(4):
            hub.publish(frame(n))
            await settle()
    subscription.close()
    everyone.close()
    await reader
    assert asked == [0, 1]
    assert read == [2, 3]
    assert [number(item) async for item in everyone] == [0, 1, 2, 3]
    assert "failed to take a frame" in caplog.text
