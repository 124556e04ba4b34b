"""The ingest benchmark's child processes: publishers sending a pre-encoded clip, and the
baseline receiver (aiortc's default, decoding). Started by bench/ingest.py with "spawn".
"""

from __future__ import annotations

import asyncio
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import psutil  # type: ignore[import-untyped]

from storage.archive import MediaKind
from streaming.aiortc_hooks import replace_rtp_loop
from streaming.frames import EncodedFrame
from streaming.relay import PACKETS_PER_TURN, BurstPacer, Outlet, Packetizer, RelayFrame
from streaming.relay_sender import RelayRtpLoop
from streaming.whep import RelayTrack

CONNECT_TIMEOUT_S = 60.0
SENT_VIDEO = ("video/h264", "video/rtx")
SENT_AUDIO = ("audio/opus",)


# --- child process: N publishers -------------------------------------------------------------


@dataclass(frozen=True)
class ClipPacket:
    """One encoded packet of the clip: its bytes and when it is due, in seconds from the
    stream's first packet."""

    data: bytes
    pts: int
    time_base: Fraction
    due_s: float
    keyframe: bool


class Clip:
    """The clip's encoded packets, demuxed once per sending process and replayed by each of
    its publishers (a MediaPlayer per publisher costs a demuxing thread and a cross-thread
    hand-off per packet)."""

    def __init__(self, path: Path) -> None:
        import av

        self.packets: dict[str, list[ClipPacket]] = {"video": [], "audio": []}
        with av.open(str(path)) as container:
            streams = [*container.streams.video[:1], *container.streams.audio[:1]]
            first: dict[str, int] = {}
            for packet in container.demux(*streams):
                if not packet.size or packet.pts is None or packet.time_base is None:
                    continue
                kind = packet.stream.type
                pts = packet.pts - first.setdefault(kind, packet.pts)
                due_s = float(pts * packet.time_base)
                clip_packet = ClipPacket(
                    bytes(packet), pts, packet.time_base, due_s, packet.is_keyframe
                )
                self.packets[kind].append(clip_packet)


def replay_track(clip: Clip, kind: str) -> Any:
    """A track sending `clip`'s `kind` packets untouched at their own pace, from its first
    `recv`; it ends with the clip, as MediaPlayer's does."""
    import av
    from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

    class Replay(MediaStreamTrack):
        def __init__(self) -> None:
            super().__init__()
            self.kind = kind
            self._next = 0
            self._start: float | None = None

        async def recv(self) -> Any:
            packets = clip.packets[kind]
            if self.readyState != "live" or self._next >= len(packets):
                self.stop()
                raise MediaStreamError
            item = packets[self._next]
            self._next += 1
            if self._start is None:
                self._start = time.monotonic()
            await asyncio.sleep(self._start + item.due_s - time.monotonic())
            packet = av.Packet(item.data)
            packet.pts = item.pts
            packet.time_base = item.time_base
            return packet

    return Replay()


class Peer:
    """One aiortc peer offering to send H.264 (with RTX) and Opus, answered by the caller
    (WHIP POST or a pipe to the baseline receiver)."""

    def __init__(self) -> None:
        from aiortc import RTCPeerConnection

        from streaming.ice import rtc_configuration

        self.pc: Any = RTCPeerConnection(rtc_configuration())
        self.resource_url: str | None = None

    def add_sender(self, track: Any) -> Any:
        """A send-only transceiver for `track` with the codecs a camera sends."""
        from aiortc import RTCRtpSender

        wanted = SENT_VIDEO if track.kind == "video" else SENT_AUDIO
        transceiver = self.pc.addTransceiver(track, direction="sendonly")
        capabilities = RTCRtpSender.getCapabilities(track.kind)
        transceiver.setCodecPreferences(
            [c for c in capabilities.codecs if c.mimeType.lower() in wanted]
        )
        return transceiver.sender

    async def offer(self) -> str:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        sdp: str = self.pc.localDescription.sdp
        return sdp

    async def accept(self, answer: str) -> None:
        from aiortc import RTCSessionDescription

        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))

    async def close(self) -> None:
        await self.pc.close()


class Publisher(Peer):
    """Sends the pre-encoded clip through aiortc's own sender (packetized per frame, an
    `RtpPacket` per packet), as a browser's packets would arrive."""

    def __init__(self, clip: Clip) -> None:
        super().__init__()
        self.video = replay_track(clip, "video")
        self.tracks = [self.video, replay_track(clip, "audio")]
        for track in self.tracks:
            self.add_sender(track)

    async def close(self) -> None:
        await super().close()
        for track in self.tracks:
            track.stop()


class RelayedPublisher(Peer):
    """Sends frames packetized once per process through Courtcast's own relay sender loop
    (streaming/relay_sender.py: a header per frame, SRTP and `sendto` per packet): the same
    packets on the wire as `Publisher`'s, for less sending CPU, so that 32 publishers leave
    the server more of a 2-core machine."""

    def __init__(self, pacer: BurstPacer) -> None:
        super().__init__()
        self.outlet = Outlet("h264", lambda: None, lambda codec: None)
        kinds: tuple[MediaKind, ...] = ("video", "audio")
        for kind in kinds:
            self._send_outlet(self.add_sender(RelayTrack(kind)), kind, pacer)

    def _send_outlet(self, sender: Any, kind: MediaKind, pacer: BurstPacer) -> None:
        replace_rtp_loop(sender, lambda path: RelayRtpLoop(path, self.outlet, kind, pacer))

    async def close(self) -> None:
        self.outlet.close()
        await super().close()


def packetized(clip: Clip) -> list[tuple[float, RelayFrame]]:
    """The clip as relay frames (RTP payloads, RTP time) in due order, packetized once."""
    packetizer = Packetizer()
    due: list[tuple[float, RelayFrame]] = []
    kinds: tuple[tuple[MediaKind, str, int], ...] = (
        ("video", "h264", 90_000),
        ("audio", "opus", 48_000),
    )
    for kind, codec, clock_rate in kinds:
        for item in clip.packets[kind]:
            rtp_time = int(item.pts * item.time_base * clock_rate)
            frame = EncodedFrame(
                kind, codec, item.data, rtp_time, clock_rate, item.keyframe, 0.0, "clip"
            )
            relayed = RelayFrame(
                kind, codec, packetizer.payloads(frame), rtp_time & 0xFFFFFFFF, item.keyframe
            )
            due.append((item.due_s, relayed))
    due.sort(key=lambda pair: pair[0])
    return due


async def replay(
    frames: list[tuple[float, RelayFrame]], outlets: Sequence[Outlet], gate: asyncio.Event
) -> None:
    """Offer each frame to every publisher's outlet when it is due, once `gate` is set: the
    clip starts (keyframe first) only when every publisher is connected, so connecting 32
    competes with no media."""
    await gate.wait()
    start = time.monotonic()
    for due_s, frame in frames:
        delay = start + due_s - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        for outlet in outlets:
            outlet.offer(frame)


async def _whip_post(client: httpx.AsyncClient, url: str, offer: str) -> tuple[str, str]:
    response = await client.post(
        url, content=offer.encode(), headers={"Content-Type": "application/sdp"}
    )
    if response.status_code != 201:
        raise RuntimeError(f"WHIP POST {url} answered {response.status_code}: {response.text}")
    return response.text, urljoin(url, response.headers["Location"])


async def _wait_connected(pcs: Sequence[Any]) -> None:
    deadline = time.monotonic() + CONNECT_TIMEOUT_S
    while any(pc.connectionState != "connected" for pc in pcs):
        if time.monotonic() > deadline:
            states = [pc.connectionState for pc in pcs]
            raise RuntimeError(f"publishers did not connect within {CONNECT_TIMEOUT_S} s: {states}")
        await asyncio.sleep(0.05)


@dataclass(frozen=True)
class Publishing:
    """What one sending process does: `count` publishers of `clip`, answered by WHIP POSTs
    to `whip_urls` (with `token`), or else through the `signalling` pipe."""

    clip: str
    count: int
    whip_urls: list[str] | None
    token: str | None
    signalling: Connection | None


async def _publish(job: Publishing, control: Connection) -> None:
    from streaming.codecs import install_codecs
    from streaming.ice import LOOPBACK, install_host_addresses

    install_codecs()
    install_host_addresses([LOOPBACK])
    whip_urls, signalling = job.whip_urls, job.signalling
    gate = asyncio.Event()
    pacer = BurstPacer(PACKETS_PER_TURN)
    publishers = [RelayedPublisher(pacer) for _ in range(job.count)]
    replaying = asyncio.ensure_future(
        replay(packetized(Clip(Path(job.clip))), [p.outlet for p in publishers], gate)
    )
    headers = {"Authorization": f"Bearer {job.token}"} if job.token else {}
    async with httpx.AsyncClient(timeout=120, headers=headers) as client:
        try:
            if whip_urls is not None:
                # one at a time, each connecting at once: answered in a batch, the first
                # could outlast the server's connect timeout under load
                for publisher, url in zip(publishers, whip_urls, strict=True):
                    answer, publisher.resource_url = await _whip_post(
                        client, url, await publisher.offer()
                    )
                    await publisher.accept(answer)
            else:
                assert signalling is not None
                signalling.send([await publisher.offer() for publisher in publishers])
                answers = await asyncio.to_thread(signalling.recv)
                for publisher, answer in zip(publishers, answers, strict=True):
                    await publisher.accept(answer)
            await _wait_connected([publisher.pc for publisher in publishers])
            control.send(("connected", None))
            if await asyncio.to_thread(control.recv) == "go":
                gate.set()
                await asyncio.to_thread(control.recv)  # "stop"
        finally:
            replaying.cancel()
            for publisher in publishers:
                if publisher.resource_url:
                    await client.delete(publisher.resource_url)
            await asyncio.gather(*(publisher.close() for publisher in publishers))


def publisher_process(job: Publishing, control: Connection) -> None:
    """Entry point of the publishing process; failures go back to the parent as text."""
    try:
        asyncio.run(_publish(job, control))
    except BaseException:
        control.send(("error", traceback.format_exc()))
        raise


# --- child process: the baseline receiver ----------------------------------------------------


async def _consume(track: Any, counts: list[int], index: int) -> None:
    """aiortc's default use of a received track: pull decoded frames until it ends."""
    from aiortc.mediastreams import MediaStreamError

    try:
        while True:
            await track.recv()
            if track.kind == "video":
                counts[index] += 1
    except MediaStreamError:
        return


async def _receive(signalling: list[Connection], control: Connection) -> None:
    from aiortc import RTCPeerConnection, RTCSessionDescription

    from streaming.codecs import install_codecs
    from streaming.ice import LOOPBACK, install_host_addresses, rtc_configuration

    install_codecs()
    install_host_addresses([LOOPBACK])
    control.send(int(psutil.Process().memory_info().rss))
    counts: list[int] = []
    consumers: list[asyncio.Task[None]] = []
    pcs: list[Any] = []
    for pipe in signalling:  # one per sending process
        offers: list[str] = await asyncio.to_thread(pipe.recv)
        answers: list[str] = []
        for offer in offers:
            pc = RTCPeerConnection(rtc_configuration())
            pcs.append(pc)
            counts.append(0)

            def on_track(track: Any, index: int = len(counts) - 1) -> None:
                consumers.append(asyncio.ensure_future(_consume(track, counts, index)))

            pc.on("track", on_track)
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
            await pc.setLocalDescription(await pc.createAnswer())
            answers.append(pc.localDescription.sdp)
        pipe.send(answers)
    while (command := await asyncio.to_thread(control.recv)) != "stop":
        if command == "count":
            control.send(list(counts))
    await asyncio.gather(*(pc.close() for pc in pcs))
    for consumer in consumers:
        consumer.cancel()


def receiver_process(signalling: list[Connection], control: Connection) -> None:
    """Entry point of the baseline receiving process (asyncio's default loop, as aiortc's)."""
    try:
        asyncio.run(_receive(signalling, control))
    except BaseException:
        control.send(("error", traceback.format_exc()))
        raise
