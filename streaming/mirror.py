"""A camera's hub copied into another process, so its public viewers can be served there.

A courtroom's cameras publish into the process holding it (its WHIP sessions, its recorder).
With several worker processes or nodes, a public viewer who reaches another one is served
there from a mirror: a hub of that process fed, still encoded, with the holder's frames over
one websocket per camera (`send_feed` on the holder, `Mirror` here), however many viewers it
has. So each process's event loop encrypts and sends to its own share of the audience.

A mirror asks the holder for a keyframe when a viewer here waits for one, and tells it how
many viewers it serves, so the court's broadcast console counts every viewer wherever they
watch. Frames start at a keyframe, and a mirror cut off (the holder gone, the courtroom
moved) ends its publication, as a camera that leaves does, and looks for the holder again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import websockets
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from streaming.frame_wire import decode, encode
from streaming.frames import SourceEnded
from streaming.hub import Hub

log = logging.getLogger(__name__)

KEYFRAME_ASK = b"K"
AUDIENCE = b"N"  # followed by the viewer count in ASCII digits
FEED_QUEUE_FRAMES = 300  # about 3 s of video and audio: a slow mirror skips to a keyframe
MAX_MESSAGE_BYTES = 16 * 1024 * 1024  # a keyframe of a high-bitrate camera, with room
TELL_EVERY_S = 1.0  # the audience count goes up at most this late; keyframe asks at once
RETRY_S = 1.0
REFUSED = 4403  # the close code of a feed the holder hung up: its public may not watch now
REFUSED_STATUS = 403  # the handshake's answer to a feed refused from the start

Locate = Callable[[], Awaitable[tuple[str, dict[str, str]] | None]]


async def send_feed(
    hub: Hub,
    send: Callable[[bytes], Awaitable[None]],
    messages: AsyncIterator[bytes],
    *,
    stop: asyncio.Event,
    on_audience: Callable[[int], None],
) -> None:
    """The holder's side: `hub`'s frames from its next keyframe on, until the mirror hangs up
    or `stop` is set (the kill switch, the courtroom gone from here): then at once, with
    nothing still queued sent after it. The mirror's asks reach the hub."""
    subscription = hub.subscribe(FEED_QUEUE_FRAMES, from_keyframe=True)
    hub.request_keyframe()

    async def frames() -> None:
        async for item in subscription:
            if stop.is_set():
                return  # already queued, yet not to be sent once the feed is hung up
            await send(encode(item))

    async def asks() -> None:
        async for message in messages:
            if message == KEYFRAME_ASK:
                hub.request_keyframe()
            elif message[:1] == AUDIENCE and message[1:].isdigit() and len(message) < 12:
                on_audience(int(message[1:]))

    tasks = [asyncio.ensure_future(job) for job in (frames(), asks(), stop.wait())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        subscription.close()
        for task in tasks:
            task.cancel()
        # a hung-up mirror's errors end its feed and nothing else; a cancellation of the
        # feed itself goes on out
        await asyncio.gather(*tasks, return_exceptions=True)


class Mirror:
    """A hub of this process fed by the hub of the process holding the camera.

    `locate` says where the holder's feed is (its URL and the headers proving who asks), or
    None once this process holds the camera itself or nobody does: the mirror then ends and
    `on_gone` hangs up its viewers, who come back to wherever the camera is now. A holder
    that refuses the feed, or hangs it up as it hangs up the public (the kill switch, a
    hearing no longer watchable), says so (`REFUSED`), and `on_refused` hangs up the viewers
    here at once, and drops what a delay line here still holds, whether or not word of the
    change has come another way.
    """

    def __init__(
        self,
        locate: Locate,
        *,
        audience: Callable[[], int],
        on_gone: Callable[[], None],
        on_refused: Callable[[], None],
    ) -> None:
        self.hub = Hub()
        self._locate = locate
        self._audience = audience
        self._on_gone = on_gone
        self._on_refused = on_refused
        self._ask = asyncio.Event()
        self._source: str | None = None
        self._task = asyncio.create_task(self._run(), name="mirror")

    async def _run(self) -> None:
        try:
            while (where := await self._where()) is not None:
                url, headers = where
                link: ClientConnection | None = None
                try:
                    async with connect(
                        url, additional_headers=headers, max_size=MAX_MESSAGE_BYTES
                    ) as link:
                        await self._follow(link)
                except InvalidStatus as refusal:
                    if refusal.response.status_code == REFUSED_STATUS:
                        self._on_refused()
                except (OSError, websockets.WebSocketException, ValueError) as cut:
                    log.info("mirror of %s cut off: %s", url, cut)
                finally:
                    self._ended()
                if link is not None and link.close_code == REFUSED:
                    self._on_refused()
                await asyncio.sleep(RETRY_S)
        finally:
            self._on_gone()

    async def _where(self) -> tuple[str, dict[str, str]] | None:
        """Where the feed is; asked again while the question cannot be answered (an index
        out of reach for a moment), since the holder may well be there all the same."""
        while True:
            try:
                return await self._locate()
            except Exception:
                log.exception("a mirror could not learn where its camera is held; asking again")
                await asyncio.sleep(RETRY_S)

    async def _follow(self, link: ClientConnection) -> None:
        self.hub.attach_publisher(self._ask.set)
        teller = asyncio.create_task(self._tell(link))
        try:
            async for message in link:
                if not isinstance(message, bytes):
                    raise ValueError("a feed sends frames as binary messages")
                item = decode(message)
                if isinstance(item, SourceEnded):
                    self._source = None
                    self.hub.announce(item)
                else:
                    self._source = item.source_id
                    self.hub.publish(item)
        finally:
            teller.cancel()
            # not `suppress(CancelledError)`: a close() landing here would be swallowed with
            # the teller's, and the mirror would go on connecting while close() waits for it
            await asyncio.gather(teller, return_exceptions=True)

    async def _tell(self, link: ClientConnection) -> None:
        """Send the keyframe asks of viewers here, and the audience count when it changes."""
        told = -1
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._ask.wait(), TELL_EVERY_S)
            if self._ask.is_set():
                self._ask.clear()
                await link.send(KEYFRAME_ASK)
            count = self._audience()
            if count != told:
                await link.send(AUDIENCE + str(count).encode())
                told = count

    def _ended(self) -> None:
        """The feed stopped: viewers here hear the publication end, as when a camera leaves."""
        if self.hub.publishing:
            self.hub.detach_publisher(self._ask.set, self._source or "mirror")
        self._source = None

    async def close(self) -> None:
        """Hang up and wait until the mirror ended (a cancelled close() is not waited out)."""
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
