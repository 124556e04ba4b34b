"""Relay send cost: CPU per packet and viewer, aiortc's RTP loop against the relay's own.

Run: `.venv/bin/python -m bench.relay_send` (about 30 s; `--viewers 50 --seconds 10`)

One process holds a server peer connection per viewer and the viewers themselves
(aiortc peers over loopback which, once connected, drop every datagram unread, so
their receiving costs the process next to nothing). Each server sender is fed
the same camera frames in real time (the ingest benchmark's 720p30 clip,
packetized once, as the relay does), first through aiortc 1.16's `_run_rtp` (packet
objects, header extensions per packet, four coroutine layers per send), then
through streaming/relay_sender.py (keyframes paced by its BurstPacer), writing
with the Python send path (pylibsrtp and `sendto` per packet), then with the
native one (streaming/native/tx.py: SRTP in C and one sendmmsg per frame). The
sender's thread CPU time is taken around each frame's send work only (header,
SRTP, sendto), so the machine's other load stays out of it: on a shared machine
this is steadier than bench/relay.py's whole-process CPU. From it: the CPU of a
keyframe burst to 100 viewers and the viewers one core could serve at the clip's
packet rate. Relay delay is from the moment a frame was due from the camera to
its last packet sent to a viewer: a loop busy with a burst offers the next frame
late, as it would read the camera's packets late. It is wall-clock time, so a
loaded machine stretches it.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable
from typing import Any

import av
import uvloop
from aiortc import RTCPeerConnection, RTCRtpSender
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtcrtpsender import RTCEncodedFrame

from bench.ingest import clip_for
from streaming.aiortc_hooks import OutgoingFrame, RtpSendPath, h264_payloads, replace_rtp_loop
from streaming.codecs import install_codecs
from streaming.ice import LOOPBACK, install_host_addresses, rtc_configuration
from streaming.relay import PACKETS_PER_TURN, BurstPacer, Outlet, RelayFrame
from streaming.relay_sender import RelayRtpLoop
from streaming.send_path import use_send_path
from streaming.whep import RelayTrack

FPS = 30


def clip_frames(seconds: int) -> list[RelayFrame]:
    """The clip's video as the relay shares it: payloads once per frame."""
    frames: list[RelayFrame] = []
    with av.open(str(clip_for(35))) as container:
        for packet in container.demux(container.streams.video[0]):
            if packet.size and len(frames) < seconds * FPS:
                payloads = h264_payloads(bytes(packet))
                frames.append(
                    RelayFrame("video", "h264", payloads, 3000 * len(frames), packet.is_keyframe)
                )
    return frames


class Meter:
    """CPU time of this thread spent sending, and the packets sent."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.packets = 0
        self.pacer = BurstPacer(PACKETS_PER_TURN)  # one camera's: all its viewers share it
        self.offered: dict[int, float] = {}  # when the frame (by RTP time) was due from the camera
        self.delays: list[float] = []  # due -> a viewer's last packet of that frame sent

    def frame_done(self, frame: RelayFrame) -> None:
        self.delays.append(time.perf_counter() - self.offered[frame.timestamp])


async def connect(sender_setup: Callable[[RTCRtpSender], None]) -> tuple[RTCPeerConnection, ...]:
    server, viewer = RTCPeerConnection(rtc_configuration()), RTCPeerConnection(rtc_configuration())
    transceiver = server.addTransceiver(RelayTrack("video"), direction="sendonly")
    codecs = RTCRtpSender.getCapabilities("video").codecs
    transceiver.setCodecPreferences(
        [c for c in codecs if c.mimeType.lower() in ("video/h264", "video/rtx")]
    )
    sender_setup(transceiver.sender)
    viewer.addTransceiver("video", direction="recvonly")
    await server.setLocalDescription(await server.createOffer())
    await viewer.setRemoteDescription(server.localDescription)
    await viewer.setLocalDescription(await viewer.createAnswer())
    await server.setRemoteDescription(viewer.localDescription)
    while viewer.connectionState != "connected" or server.connectionState != "connected":
        await asyncio.sleep(0.01)
    receiving: Any = viewer.getTransceivers()[0]
    for protocol in receiving.receiver.transport.transport._connection._protocols:
        protocol.datagram_received = lambda data, addr: None  # the viewer reads and drops
    return server, viewer


def aiortc_loop(outlet: Outlet, meter: Meter) -> Callable[[RTCRtpSender], None]:
    """aiortc's `_run_rtp` fed ready payloads (as Courtcast did before relay_sender.py)."""

    def setup(sender: RTCRtpSender) -> None:
        started: list[float] = []
        sending: list[RelayFrame] = []

        async def next_encoded_frame(codec: RTCRtpCodecParameters) -> RTCEncodedFrame:
            if started:  # the previous frame's send work ends here
                meter.seconds += time.thread_time() - started.pop()
                meter.frame_done(sending.pop())
            frame = await outlet.next("video")
            sending.append(frame)
            meter.packets += len(frame.payloads)
            started.append(time.thread_time())
            return RTCEncodedFrame(frame.payloads, frame.timestamp, None)  # type: ignore[arg-type]

        sender._next_encoded_frame = next_encoded_frame  # type: ignore[method-assign]

    return setup


class TimedPath:
    """The relay loop's send path, timed from each frame's header to its send."""

    def __init__(self, path: RtpSendPath, meter: Meter) -> None:
        self._path, self._meter = path, meter
        self.rtx_ssrc, self.rtx_payload_type = path.rtx_ssrc, path.rtx_payload_type
        self._started: float | None = None
        self.frame: RelayFrame | None = None  # the one being sent (TimedOutlet sets it)

    def header(self, timestamp: int, ntp_time: int) -> bytearray:
        self._started = time.thread_time()
        return self._path.header(timestamp, ntp_time)

    def send_frame(self, frame: OutgoingFrame) -> None:
        started = time.thread_time() if self._started is None else self._started
        self._path.send_frame(frame)
        self._meter.packets += len(frame.payloads)
        self._meter.seconds += time.thread_time() - started
        self._started = None

    def send(self, packet: bytes) -> None:  # a retransmission: not a frame's send work
        self._path.send(packet)

    def sent(self, timestamp: int, ntp_time: int, packets: int, octets: int) -> None:
        started = time.thread_time()
        self._path.sent(timestamp, ntp_time, packets, octets)
        self._meter.seconds += time.thread_time() - started
        assert self.frame is not None
        self._meter.frame_done(self.frame)


class TimedOutlet:
    """An outlet that tells the timed path which frame is going out."""

    def __init__(self, outlet: Outlet, path: TimedPath) -> None:
        self._outlet, self._path = outlet, path

    async def next(self, kind: str) -> RelayFrame:
        self._path.frame = await self._outlet.next(kind)
        return self._path.frame

    def backlog(self, kind: str) -> int:
        return self._outlet.backlog(kind)


def relay_loop(outlet: Outlet, meter: Meter) -> Callable[[RTCRtpSender], None]:
    def make(path: RtpSendPath) -> RelayRtpLoop:
        timed = TimedPath(path, meter)
        return RelayRtpLoop(timed, TimedOutlet(outlet, timed), "video", meter.pacer)  # type: ignore[arg-type]

    def setup(sender: RTCRtpSender) -> None:
        replace_rtp_loop(sender, make)

    return setup


async def measure(name: str, loop: Any, frames: list[RelayFrame], viewers: int) -> Meter:
    meter = Meter()
    outlets = [Outlet("h264", lambda: None, lambda codec: None) for _ in range(viewers)]
    peers = [await connect(loop(outlet, meter)) for outlet in outlets]
    await asyncio.sleep(0.5)
    meter.seconds, meter.packets = 0.0, 0
    due = time.perf_counter()
    for frame in frames:  # in real time, as a camera sends them
        meter.offered[frame.timestamp] = due  # a loop still busy with a burst reads it late
        for outlet in outlets:
            outlet.offer(frame)
        due += 1 / FPS
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
    await asyncio.sleep(0.5)
    for server, viewer in peers:
        await asyncio.gather(server.close(), viewer.close())
    return meter


def report(name: str, meter: Meter, frames: list[RelayFrame], viewers: int) -> float:
    per_packet_us = 1e6 * meter.seconds / meter.packets
    packets_per_s = sum(len(f.payloads) for f in frames) / (len(frames) / FPS)
    keyframe = statistics.median(len(f.payloads) for f in frames if f.keyframe)
    burst_ms = per_packet_us * keyframe * 100 / 1e3  # CPU, however it is spread out
    delays = sorted(meter.delays)
    p95_ms = 1e3 * delays[int(0.95 * (len(delays) - 1))]
    print(
        f"{name:>7}: {per_packet_us:5.1f} us per packet and viewer | keyframe burst to 100 viewers "
        f"{burst_ms:5.0f} ms | {100 / (per_packet_us * packets_per_s / 1e4):5.0f} viewers per core "
        f"at {packets_per_s:.0f} packets/s (send work only) | relay delay to {viewers} viewers "
        f"median {1e3 * statistics.median(delays):4.0f} ms p95 {p95_ms:4.0f} ms",
        flush=True,
    )
    return per_packet_us


async def main_async(viewers: int, seconds: int) -> None:
    install_codecs()
    install_host_addresses([LOOPBACK])
    frames = clip_frames(seconds)
    keyframe = max(len(f.payloads) for f in frames if f.keyframe)
    print(
        f"{len(frames)} frames, keyframes up to {keyframe} packets, {viewers} viewers", flush=True
    )
    old = report("aiortc", await measure("aiortc", aiortc_loop, frames, viewers), frames, viewers)
    use_send_path("python")
    new = report("relay", await measure("relay", relay_loop, frames, viewers), frames, viewers)
    use_send_path("native")
    native = report("native", await measure("native", relay_loop, frames, viewers), frames, viewers)
    print(
        f"ratio per packet: relay / aiortc {new / old:.2f}, native / aiortc {native / old:.2f}, "
        f"native / relay {native / new:.2f}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    uvloop.run(main_async(args.viewers, args.seconds))  # the server's event loop (api/cli.py)


if __name__ == "__main__":
    main()
