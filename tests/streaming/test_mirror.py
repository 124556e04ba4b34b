"""A camera's hub copied into another process over a real websocket on 127.0.0.1: viewers of
the mirror get the camera's frames from a keyframe on, their keyframe asks reach the camera,
the holder hears how many they are, and a feed cut off ends the publication they watch."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Request, Response

from streaming.frames import SourceEnded
from streaming.hub import Hub, HubItem
from streaming.mirror import REFUSED, Mirror, send_feed
from tests.streaming.test_hub import frame


class Holder:
    """The holding process's side: one camera hub served as a feed until `stop`."""

    def __init__(self) -> None:
        self.camera = Hub()
        self.asked = 0
        self.camera.attach_publisher(self._ask)
        self.audience: list[int] = []
        self.stop = asyncio.Event()
        self.feeds = 0

    def _ask(self) -> None:
        self.asked += 1

    async def serve(self, link: ServerConnection) -> None:
        self.feeds += 1

        async def messages() -> AsyncIterator[bytes]:
            async for message in link:
                assert isinstance(message, bytes)
                yield message

        await send_feed(
            self.camera,
            link.send,
            messages(),
            stop=self.stop,
            on_audience=self.audience.append,
        )


async def until(condition, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


async def take(subscription: AsyncIterator[HubItem], count: int) -> list[HubItem]:
    async with asyncio.timeout(5):
        return [await anext(subscription) for _ in range(count)]


@contextlib.asynccontextmanager
async def mirrored(holder: Holder, viewers: list[int]) -> AsyncIterator[tuple[Mirror, list[str]]]:
    gone: list[str] = []
    where: list[tuple[str, dict[str, str]] | None] = []
    async with serve(holder.serve, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        where.append((f"ws://127.0.0.1:{port}/feed", {}))

        async def locate() -> tuple[str, dict[str, str]] | None:
            return where[-1]

        mirror = Mirror(
            locate,
            audience=lambda: viewers[-1],
            on_gone=lambda: gone.append("gone"),
            on_refused=lambda: gone.append("refused"),
        )
        try:
            yield mirror, gone
        finally:
            await mirror.close()


async def test_viewers_of_a_mirror_get_the_camera_from_its_next_keyframe() -> None:
    holder = Holder()
    async with mirrored(holder, [0]) as (mirror, _):
        viewer = mirror.hub.subscribe(100)
        await until(lambda: holder.camera.subscribers == 1)
        for n in range(7):
            holder.camera.publish(frame(n, keyframe=n == 3))
        got = await take(viewer, 4)
        assert got == [frame(n, keyframe=n == 3) for n in range(3, 7)]  # 0-2 decode to nothing
        assert holder.asked >= 1  # the feed asks the camera for a keyframe at once


async def test_a_viewers_keyframe_ask_and_the_audience_reach_the_holder() -> None:
    holder = Holder()
    viewers = [0]
    async with mirrored(holder, viewers) as (mirror, _):
        mirror.hub.subscribe(100)
        await until(lambda: holder.audience == [0])
        asked = holder.asked
        await asyncio.sleep(0.6)  # past the camera hub's own half-second throttle
        mirror.hub.request_keyframe()
        await until(lambda: holder.asked == asked + 1)
        viewers.append(3)
        await until(lambda: holder.audience == [0, 3])


async def test_a_feed_that_ends_ends_the_publication_and_the_mirror_looks_again() -> None:
    holder = Holder()
    async with mirrored(holder, [1]) as (mirror, gone):
        viewer = mirror.hub.subscribe(100)
        await until(lambda: holder.camera.subscribers == 1)
        holder.camera.publish(frame(0, keyframe=True))
        assert await take(viewer, 1) == [frame(0, keyframe=True)]
        holder.stop.set()  # the kill switch at the holder
        holder.camera.publish(frame(1))
        assert await take(viewer, 1) == [SourceEnded("pub")]  # and not frame 1
        holder.stop.clear()
        await until(lambda: holder.feeds == 2)  # the mirror asked the holder again
        assert not gone


async def test_a_mirror_whose_camera_is_held_nowhere_else_hangs_up_its_viewers() -> None:
    gone: list[str] = []

    async def nowhere() -> None:
        return None

    mirror = Mirror(
        nowhere, audience=lambda: 0, on_gone=lambda: gone.append("gone"), on_refused=list
    )
    await until(lambda: gone == ["gone"])
    await mirror.close()


async def test_a_feed_sending_garbage_is_cut_and_its_viewers_see_the_publication_end() -> None:
    async def garbage(link: ServerConnection) -> None:
        await link.send(b"v" + b"\x00" * 40)  # a header that lies: clock rate 0
        await link.wait_closed()

    async with serve(garbage, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]

        async def locate() -> tuple[str, dict[str, str]]:
            return f"ws://127.0.0.1:{port}/", {}

        mirror = Mirror(locate, audience=lambda: 0, on_gone=list, on_refused=list)
        viewer = mirror.hub.subscribe(10)
        try:
            assert await take(viewer, 1) == [SourceEnded("mirror")]
        finally:
            await mirror.close()


async def test_a_feed_the_holder_refuses_or_hangs_up_as_the_public_hangs_up_its_viewers_here() -> (
    None
):
    """The holder's word, in the handshake (403) or the close code: the viewers here are hung
    up without waiting for the cluster bus; a feed merely cut is no such word."""
    attempts: list[int] = []
    refusals: list[int] = []

    def handshake(link: ServerConnection, request: Request) -> Response | None:
        attempts.append(len(attempts) + 1)
        return link.respond(403, "no\n") if attempts[-1] in (1, 4) else None

    async def holder(link: ServerConnection) -> None:
        await link.close(REFUSED if attempts[-1] == 2 else 1011)  # 3, 5: merely cut

    async with serve(holder, "127.0.0.1", 0, process_request=handshake) as server:
        port = server.sockets[0].getsockname()[1]

        async def locate() -> tuple[str, dict[str, str]]:
            return f"ws://127.0.0.1:{port}/", {}

        mirror = Mirror(
            locate,
            audience=lambda: 0,
            on_gone=list,
            on_refused=lambda: refusals.append(attempts[-1]),
        )
        try:
            await until(lambda: len(attempts) >= 5, 10)
        finally:
            await mirror.close()
    assert refusals == [1, 2, 4]


async def test_a_mirror_that_cannot_learn_where_the_camera_is_asks_again() -> None:
    """An index out of reach for a moment is no reason to hang up the viewers here."""
    holder = Holder()
    asked: list[int] = []
    gone: list[str] = []
    async with serve(holder.serve, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]

        async def locate() -> tuple[str, dict[str, str]]:
            asked.append(1)
            if len(asked) == 1:
                raise ConnectionError("the index is out of reach")
            return f"ws://127.0.0.1:{port}/", {}

        mirror = Mirror(
            locate, audience=lambda: 1, on_gone=lambda: gone.append("gone"), on_refused=list
        )
        viewer = mirror.hub.subscribe(10)
        try:
            await until(lambda: holder.camera.subscribers == 1)
            holder.camera.publish(frame(0, keyframe=True))
            assert await take(viewer, 1) == [frame(0, keyframe=True)]
            assert not gone
        finally:
            await mirror.close()


async def test_a_mirror_closed_as_its_feed_ends_stops(monkeypatch: pytest.MonkeyPatch) -> None:
    """close() lands while the mirror waits for its teller to stop (the feed just ended): the
    mirror ends, rather than taking the cancellation for the teller's and connecting again
    while close() waits for it forever (seen once in CI: a 300 s hang)."""
    stopping = asyncio.Event()

    async def slow_to_stop(self: Mirror, link: object) -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            stopping.set()
            await asyncio.sleep(1)  # still stopping when close() comes
            raise

    monkeypatch.setattr(Mirror, "_tell", slow_to_stop)

    connections: list[int] = []

    async def cut(link: ServerConnection) -> None:
        connections.append(1)
        await link.close(1011)

    async with serve(cut, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]

        async def locate() -> tuple[str, dict[str, str]]:
            return f"ws://127.0.0.1:{port}/", {}

        gone: list[str] = []
        mirror = Mirror(
            locate, audience=lambda: 0, on_gone=lambda: gone.append("gone"), on_refused=list
        )
        await until(stopping.is_set)
        await asyncio.wait_for(mirror.close(), 5)
    assert gone == ["gone"]
    assert len(connections) == 1  # closed means no connecting again
