"""A WHIP publisher for tests: an aiortc peer sending a pre-encoded clip without transcoding."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urljoin

import httpx
from aiortc import RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.contrib.media import MediaPlayer

from streaming.codecs import install_codecs
from streaming.ice import LOOPBACK, install_host_addresses, rtc_configuration

HTTP_TIMEOUT_S = 30  # a loaded 2-core CI machine can take seconds to hang up a peer

VIDEO_CODECS = {"h264": ("video/h264", "video/rtx"), "vp8": ("video/vp8", "video/rtx")}
SENT_AUDIO = ("audio/opus",)


class WhipPublisher:
    """Publishes `clip` (MPEG-TS, Annex-B H.264 + Opus) to a WHIP endpoint."""

    def __init__(
        self, clip: Path, url: str, token: str, *, video_codec: str = "h264", audio: bool = True
    ) -> None:
        self.clip = clip
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
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_S) as client:
            response = await client.post(
                self.url,
                content=self.last_offer_sdp.encode(),
                headers={
                    "Authorization": f"Bearer {self.token}",
                    "Content-Type": "application/sdp",
                },
            )
        if response.status_code != 201:
            await self.close()
            raise RuntimeError(f"WHIP POST answered {response.status_code}: {response.text}")
        self.resource_url = urljoin(self.url, response.headers["Location"])
        self.answer_sdp = response.text
        await pc.setRemoteDescription(RTCSessionDescription(sdp=response.text, type="answer"))

    @property
    def connection_state(self) -> str:
        return self._pc.connectionState if self._pc else "new"

    async def close(self, *, hang_up: bool = True) -> None:
        """DELETE the WHIP resource (unless told not to), then close the peer connection."""
        if hang_up and self.resource_url is not None:
            async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_S) as client:
                await client.delete(
                    self.resource_url, headers={"Authorization": f"Bearer {self.token}"}
                )
            self.resource_url = None
        if self._pc is not None:
            await self._pc.close()
            self._pc = None
        if self._player is not None:
            for track in (self._player.video, self._player.audio):
                if track is not None:
                    track.stop()
            self._player = None
