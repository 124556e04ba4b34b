"""A WHEP viewer for tests: an aiortc peer that decodes what Courtcast relays.

Run as `python -m tests.support.viewer URL [COUNT]` it watches in its own
process and prints `ready` once each viewer decoded a frame, then every
viewer's decoded-frame counts each half second, so a test can freeze it
(SIGSTOP) like a stuck client or spread many decoding viewers over cores.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Callable
from urllib.parse import urljoin

import av
import httpx
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from streaming.codecs import install_codecs
from streaming.ice import LOOPBACK, install_host_addresses, rtc_configuration
from tests.support.clips import read_frame_number
from tests.support.publisher import HTTP_TIMEOUT_S, send_following_redirects

NUMBER_ROWS = 48  # enough picture rows for the frame-number blocks of any test clip


async def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll `condition` until it holds; raise TimeoutError naming `what` when it never does.

    Raising, not returning, so a test can never go on as if a viewer had received
    what it waited for.
    """
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            raise TimeoutError(f"not within {timeout:g} s: {what}")
        await asyncio.sleep(0.02)


class WhepClient:
    """POSTs a recvonly offer, applies the answer and decodes every frame it receives.

    `first_frame_at` (monotonic) is when the first video frame was decoded and
    `posted_at` when the POST went out; with `read_numbers` each decoded
    picture's drawn frame number is kept with its wall-clock decode time.
    """

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        read_numbers: bool = False,
        headers: dict[str, str] | None = None,  # e.g. a viewer ticket's Cookie
    ) -> None:
        self.url = url
        self.token = token
        self.headers = headers or {}
        self.read_numbers = read_numbers
        self.resource_url: str | None = None
        self.posted_at: float | None = None
        self.first_frame_at: float | None = None
        self.video_frames = 0
        self.audio_frames = 0
        self.numbers: list[tuple[int, float]] = []
        self._pc: RTCPeerConnection | None = None
        self._consumers: list[asyncio.Task[None]] = []

    async def offer(self) -> str:
        """A fresh recvonly offer (also what tests send to provoke errors)."""
        install_codecs()
        install_host_addresses([LOOPBACK])
        pc = self._pc = RTCPeerConnection(rtc_configuration())
        pc.addTransceiver("video", direction="recvonly")
        pc.addTransceiver("audio", direction="recvonly")
        pc.on("track", self._on_track)
        await pc.setLocalDescription(await pc.createOffer())
        sdp: str = pc.localDescription.sdp
        return sdp

    async def start(self) -> None:
        """Offer, POST, apply the answer; raises RuntimeError unless the server answers 201."""
        offer = await self.offer()
        headers = {"Content-Type": "application/sdp", **self.headers}
        self.posted_at = time.monotonic()
        # a 307 to the node (or worker process) holding the courtroom is followed
        response, redirects = await send_following_redirects(
            "POST", self.url, self.token, content=offer.encode(), headers=headers
        )
        if response.status_code != 201:
            await self.close()
            raise RuntimeError(f"WHEP POST answered {response.status_code}: {response.text}")
        self.resource_url = urljoin(
            redirects[-1] if redirects else self.url, response.headers["Location"]
        )
        assert self._pc is not None
        await self._pc.setRemoteDescription(RTCSessionDescription(sdp=response.text, type="answer"))

    def _on_track(self, track: MediaStreamTrack) -> None:
        self._consumers.append(asyncio.ensure_future(self._consume(track)))

    async def _consume(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                frame = await track.recv()
                if track.kind == "audio":
                    self.audio_frames += 1
                    continue
                self.video_frames += 1
                if self.first_frame_at is None:
                    self.first_frame_at = time.monotonic()
                if self.read_numbers and isinstance(frame, av.VideoFrame):
                    luma = frame.to_ndarray(format="gray")[:NUMBER_ROWS]
                    self.numbers.append((read_frame_number(luma), time.time()))
        except MediaStreamError:
            return

    @property
    def seconds_to_first_frame(self) -> float | None:
        if self.first_frame_at is None or self.posted_at is None:
            return None
        return self.first_frame_at - self.posted_at

    @property
    def connection_state(self) -> str:
        return self._pc.connectionState if self._pc else "new"

    async def close(self, *, hang_up: bool = True) -> None:
        """DELETE the WHEP resource (unless told not to), then close the peer connection."""
        if hang_up and self.resource_url is not None:
            async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_S) as client:
                await client.delete(self.resource_url)
            self.resource_url = None
        if self._pc is not None:
            await self._pc.close()
            self._pc = None
        for consumer in self._consumers:
            consumer.cancel()
        await asyncio.gather(*self._consumers, return_exceptions=True)
        self._consumers.clear()


async def watch_and_report(url: str, count: int = 1) -> None:
    """Watch with `count` viewers until killed, printing progress on stdout for the parent.

    `ready` once every viewer decoded a frame, then each half second a JSON line of each
    viewer's decoded video and audio frame counts. Viewers in separate processes decode in
    parallel, which one process's interpreter lock would not allow.
    """
    viewers = [WhepClient(url) for _ in range(count)]
    await asyncio.gather(*(viewer.start() for viewer in viewers))
    ready = False
    try:
        while True:
            await asyncio.sleep(0.5)
            if not ready and all(viewer.video_frames for viewer in viewers):
                print("ready", flush=True)
                ready = True
            counts = {
                "video": [viewer.video_frames for viewer in viewers],
                "audio": [viewer.audio_frames for viewer in viewers],
            }
            print(json.dumps(counts), flush=True)
    finally:
        await asyncio.gather(*(viewer.close() for viewer in viewers))


if __name__ == "__main__":
    asyncio.run(watch_and_report(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1))
