"""A WHIP publisher for tests: an aiortc peer sending a pre-encoded clip without transcoding."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import httpx
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.contrib.media import MediaPlayer

from streaming.codecs import install_codecs
from streaming.ice import LOOPBACK, install_host_addresses, rtc_configuration

HTTP_TIMEOUT_S = 30  # a loaded 2-core CI machine can take seconds to hang up a peer
MAX_REDIRECTS = 5
RETRY_PAUSE_S = 0.3  # between a failed POST and the next node's

VIDEO_CODECS = {"h264": ("video/h264", "video/rtx"), "vp8": ("video/vp8", "video/rtx")}
SENT_AUDIO = ("audio/opus",)


async def send_following_redirects(
    method: str,
    url: str,
    token: str | None,
    *,
    content: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = HTTP_TIMEOUT_S,
) -> tuple[httpx.Response, list[str]]:
    """The response and the redirects followed: a 307 or 308 is followed by hand, sending the
    same method, body and Authorization to its Location, as RFC 9725 asks of WHIP clients
    (httpx would drop the Authorization header on the way to another node: another origin)."""
    redirects: list[str] = []
    sent = {**({"Authorization": f"Bearer {token}"} if token else {}), **(headers or {})}
    async with httpx.AsyncClient(timeout=timeout) as client:
        while True:
            response = await client.request(method, url, content=content, headers=sent)
            if response.status_code not in (307, 308):
                return response, redirects
            if len(redirects) == MAX_REDIRECTS:
                raise RuntimeError(f"{method} {url}: over {MAX_REDIRECTS} redirects: {redirects}")
            url = urljoin(url, response.headers["Location"])
            redirects.append(url)


class WhipPublisher:
    """Publishes `clip` (MPEG-TS, Annex-B H.264 + Opus) to a WHIP endpoint."""

    def __init__(
        self,
        clip: Path,
        url: str,
        token: str,
        *,
        video_codec: str = "h264",
        audio: bool = True,
        http_timeout_s: float = HTTP_TIMEOUT_S,
    ) -> None:
        self.clip = clip
        self.http_timeout_s = http_timeout_s
        self.redirects: list[str] = []  # every Location the POST was sent on to
        self.send_audio = audio
        self.sent_video = VIDEO_CODECS[video_codec]
        self.url = url
        self.token = token
        self.last_offer_sdp = ""
        self.answer_sdp = ""
        self.resource_url: str | None = None
        self._pc: RTCPeerConnection | None = None
        self._player: MediaPlayer | None = None

    async def start(self) -> None:
        """Offer, POST, apply the answer; returns once the answer is applied."""
        install_codecs()
        install_host_addresses([LOOPBACK])
        self._player = MediaPlayer(str(self.clip), decode=False)
        pc = self._pc = RTCPeerConnection(rtc_configuration())
        audio = self._player.audio if self.send_audio else None
        sent = ((self._player.video, self.sent_video), (audio, SENT_AUDIO))
        for track, wanted in sent:
            if track is None:
                continue
            transceiver = pc.addTransceiver(track, direction="sendonly")
            capabilities = RTCRtpSender.getCapabilities(track.kind)
            assert capabilities is not None
            transceiver.setCodecPreferences(
                [c for c in capabilities.codecs if c.mimeType.lower() in wanted]
            )
        await pc.setLocalDescription(await pc.createOffer())
        self.last_offer_sdp = pc.localDescription.sdp
        try:
            response, self.redirects = await send_following_redirects(
                "POST",
                self.url,
                self.token,
                content=self.last_offer_sdp.encode(),
                headers={"Content-Type": "application/sdp"},
                timeout=self.http_timeout_s,
            )
        except BaseException:
            await self.close(hang_up=False)
            raise
        if response.status_code != 201:
            await self.close()
            raise RuntimeError(f"WHIP POST answered {response.status_code}: {response.text}")
        self.resource_url = urljoin(str(response.url), response.headers["Location"])
        self.answer_sdp = response.text
        await pc.setRemoteDescription(RTCSessionDescription(sdp=response.text, type="answer"))

    @property
    def video_track(self) -> MediaStreamTrack:
        """The track being sent (bench/ll_hls.py notes when each frame leaves)."""
        assert self._player is not None and self._player.video is not None, "not started"
        return self._player.video

    @property
    def connection_state(self) -> str:
        return self._pc.connectionState if self._pc else "new"

    async def close(self, *, hang_up: bool = True) -> None:
        """DELETE the WHIP resource (unless told not to), then close the peer connection."""
        try:
            if hang_up and self.resource_url is not None:
                url, self.resource_url = self.resource_url, None
                await send_following_redirects(
                    "DELETE", url, self.token, timeout=self.http_timeout_s
                )
        finally:
            await self._close_peer()

    def go_silent(self) -> None:
        """Stop sending media without a word to the server (no DELETE, no RTCP BYE, the
        connection kept): what a frozen encoder or a lost network looks like from there."""
        if self._player is not None:
            for track in (self._player.video, self._player.audio):
                if track is not None:
                    track.stop()

    async def _close_peer(self) -> None:
        if self._pc is not None:
            await self._pc.close()
            self._pc = None
        if self._player is not None:
            for track in (self._player.video, self._player.audio):
                if track is not None:
                    track.stop()
            self._player = None


@dataclass
class Publication:
    """One stretch of publishing: which node took it (after redirects), when, and when lost."""

    node: str  # the base URL of the node that answered 201
    redirects: list[str]
    published_at: float  # time.time() of the 201
    lost_at: float | None = None  # when the peer connection was seen failed or closed


class RetryingPublisher:
    """A camera that keeps publishing, as cameras behind several servers do: when its peer
    connection fails or closes, it POSTs again to the next base URL of `nodes` (following
    redirects) until one answers 201. Each publication sends `clip` from its start.

    aioice's consent checks notice a dead peer after about 30 s (RFC 7675's limit); a test
    that wants cameras to move within seconds shortens aioice.ice.CONSENT_INTERVAL.
    """

    def __init__(
        self,
        clip: Path,
        nodes: list[str],
        path: str,
        token: str,
        *,
        first: int = 0,
        attempt_timeout_s: float = 5.0,
    ) -> None:
        self.clip = clip
        self.nodes = nodes
        self.path = path  # /whip/<courtroom>/<camera>
        self.token = token
        self.attempt_timeout_s = attempt_timeout_s
        self.publications: list[Publication] = []
        self._next = first
        self._current: WhipPublisher | None = None
        self._keeper: asyncio.Task[None] | None = None

    async def start(self, within_s: float = 30.0) -> None:
        await self._publish(within_s)
        self._keeper = asyncio.create_task(self._keep_publishing())

    async def close(self) -> None:
        """Hang up; raises what stopped the camera from publishing again, if anything did."""
        if self._keeper is not None:
            self._keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keeper
        if self._current is not None:
            with contextlib.suppress(httpx.HTTPError):  # its node is gone: nothing to hang up
                await self._current.close()

    async def _publish(self, within_s: float) -> None:
        deadline = time.monotonic() + within_s
        failures: list[str] = []
        while time.monotonic() < deadline:
            node = self.nodes[self._next % len(self.nodes)]
            self._next += 1
            publisher = WhipPublisher(
                self.clip, node + self.path, self.token, http_timeout_s=self.attempt_timeout_s
            )
            try:
                await publisher.start()
            except (httpx.HTTPError, RuntimeError) as error:
                failures.append(f"{node}: {error!r}")
                await asyncio.sleep(RETRY_PAUSE_S)
                continue
            assert publisher.resource_url is not None
            took = publisher.redirects[-1] if publisher.redirects else node + self.path
            self._current = publisher
            self.publications.append(
                Publication(took.removesuffix(self.path), publisher.redirects, time.time())
            )
            return
        raise RuntimeError(f"no node took {self.path} within {within_s} s: {failures[-4:]}")

    async def _keep_publishing(self) -> None:
        while True:
            await asyncio.sleep(0.1)
            assert self._current is not None
            if self._current.connection_state not in ("failed", "closed"):
                continue
            self.publications[-1].lost_at = time.time()
            await self._current.close(hang_up=False)
            self._current = None
            await self._publish(within_s=60)
