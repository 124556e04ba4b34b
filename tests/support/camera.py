"""A WHIP camera that encodes live and honours keyframe requests, as real cameras do.

The pre-encoded clip publisher cannot answer a PLI, so a viewer joining mid-GOP
would wait for the clip's next IDR whatever the server does. This one encodes
`clips` pictures (frame number drawn in the pixels) with x264 at a fixed GOP
and makes the next frame an IDR when a PLI arrives.
"""

from __future__ import annotations

import asyncio
import time
from fractions import Fraction
from urllib.parse import urljoin

import av
import httpx
from aiortc import RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, MediaStreamTrack

from streaming.codecs import install_codecs
from streaming.ice import LOOPBACK, install_host_addresses, rtc_configuration
from tests.support.clips import _picture
from tests.support.publisher import HTTP_TIMEOUT_S

VIDEO_TIME_BASE = Fraction(1, 90_000)


class EncodingCamera(MediaStreamTrack):
    """Paced video track returning Annex-B H.264 packets.

    `forced_keyframes` lists the numbers drawn on the IDRs a keyframe request forced, and
    `since_keyframe` counts the frames sent since the last IDR of either kind, so a test
    can tell a keyframe it asked for from the camera's own.
    """

    kind = "video"

    def __init__(
        self, width: int, height: int, fps: int, gop: int, *, first_number: int = 0
    ) -> None:
        super().__init__()
        self.first_number = first_number  # cameras told apart by the numbers they draw
        self.fps = fps
        self.forced_keyframes: list[int] = []
        self.since_keyframe = 0
        self._force = False
        self._number = 0
        self._started: float | None = None
        self._encoder = av.CodecContext.create("libx264", "w")
        assert isinstance(self._encoder, av.VideoCodecContext)
        self._encoder.width, self._encoder.height, self._encoder.pix_fmt = width, height, "yuv420p"
        self._encoder.time_base = Fraction(1, fps)
        self._encoder.framerate = Fraction(fps)
        self._encoder.bit_rate = 800_000
        self._encoder.options = {
            "preset": "ultrafast",
            "tune": "zerolatency",
            "forced-idr": "1",
            "x264-params": f"keyint={gop}:min-keyint={gop}:scenecut=0:repeat-headers=1",
        }

    def request_keyframe(self) -> None:
        self._force = True

    async def recv(self) -> av.Packet:
        if self._started is None:
            self._started = time.monotonic()
        await asyncio.sleep(max(0.0, self._started + self._number / self.fps - time.monotonic()))
        frame = av.VideoFrame.from_ndarray(
            _picture(self.first_number + self._number, self._encoder.width, self._encoder.height),
            format="yuv420p",
        )
        frame.pts = self._number
        frame.time_base = Fraction(1, self.fps)
        forced = self._force
        if forced:
            frame.pict_type = av.video.frame.PictureType.I
            self._force = False
        packets = self._encoder.encode(frame)
        assert len(packets) == 1, "zerolatency x264 emits one packet per picture"
        packet = packets[0]
        if forced:
            self.forced_keyframes.append(self.first_number + self._number)
        self.since_keyframe = 0 if packet.is_keyframe else self.since_keyframe + 1
        packet.pts = self._number * 90_000 // self.fps
        packet.time_base = VIDEO_TIME_BASE
        self._number += 1
        return packet


class CameraPublisher:
    """Publishes an EncodingCamera over WHIP; a PLI from the server forces an IDR."""

    def __init__(self, camera: EncodingCamera, url: str, token: str) -> None:
        self.camera = camera
        self.url = url
        self.token = token
        self.resource_url: str | None = None
        self._pc: RTCPeerConnection | None = None
        self._silence: AudioStreamTrack | None = None

    async def start(self) -> None:
        install_codecs()
        install_host_addresses([LOOPBACK])
        pc = self._pc = RTCPeerConnection(rtc_configuration())
        transceiver = pc.addTransceiver(self.camera, direction="sendonly")
        capabilities = RTCRtpSender.getCapabilities("video")
        assert capabilities is not None
        transceiver.setCodecPreferences(
            [c for c in capabilities.codecs if c.mimeType.lower() in ("video/h264", "video/rtx")]
        )
        transceiver.sender._send_keyframe = self.camera.request_keyframe
        # Courtcast's WHIP answer fails on a video-only offer: send silence beside the picture.
        self._silence = AudioStreamTrack()
        pc.addTransceiver(self._silence, direction="sendonly")
        await pc.setLocalDescription(await pc.createOffer())
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/sdp"}
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_S) as client:
            response = await client.post(
                self.url, content=pc.localDescription.sdp.encode(), headers=headers
            )
        if response.status_code != 201:
            await self.close()
            raise RuntimeError(f"WHIP POST answered {response.status_code}: {response.text}")
        self.resource_url = urljoin(self.url, response.headers["Location"])
        await pc.setRemoteDescription(RTCSessionDescription(sdp=response.text, type="answer"))

    async def close(self) -> None:
        if self.resource_url is not None:
            async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_S) as client:
                await client.delete(
                    self.resource_url, headers={"Authorization": f"Bearer {self.token}"}
                )
            self.resource_url = None
        if self._pc is not None:
            await self._pc.close()
            self._pc = None
        self.camera.stop()
        if self._silence is not None:
            self._silence.stop()
