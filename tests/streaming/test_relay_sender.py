"""The relay's own RTP loop: what a real aiortc viewer reassembles, NACKs answered over
RTX, sender reports, and keyframe bursts paced one viewer at a time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import pytest
from aiortc import RTCPeerConnection, RTCRtpSender
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtp import RtcpSrPacket

from streaming import aiortc_hooks as hooks
from streaming.ice import LOOPBACK, install_host_addresses, rtc_configuration
from streaming.relay import BURST_PACKETS, PACKETS_PER_TURN, BurstPacer, Outlet, RelayFrame
from streaming.relay_sender import RelayRtpLoop
from streaming.send_path import use_send_path
from streaming.whep import RelayTrack
from tests.support.viewer import wait_until

SPS_PPS = b"\x00\x00\x00\x01\x67\x42\x00\x1f\x00\x00\x00\x01\x68\xce"


def access_unit(number: int, size: int, *, keyframe: bool) -> bytes:
    """An Annex-B access unit whose bytes say which frame it is."""
    nal = (b"\x65" if keyframe else b"\x41") + bytes([number]) * size
    return (SPS_PPS if keyframe else b"") + b"\x00\x00\x00\x01" + nal


def relay_frame(number: int, size: int, *, keyframe: bool = False) -> RelayFrame:
    payloads = hooks.h264_payloads(access_unit(number, size, keyframe=keyframe))
    return RelayFrame("video", "h264", payloads, 3000 * number, keyframe)


class DropOnce:
    """A send path that loses chosen packets the first time (as a lossy network would)."""

    def __init__(self, path: hooks.RtpSendPath, lose: set[int]) -> None:
        self._path, self._lose, self._count = path, lose, 0
        self.rtx_ssrc, self.rtx_payload_type = path.rtx_ssrc, path.rtx_payload_type
        self.header, self.sent = path.header, path.sent

    def send_frame(self, frame: hooks.OutgoingFrame) -> None:
        for packet in frame.packets():
            if self._count not in self._lose:
                self._path.send(packet)
            self._count += 1

    def send(self, packet: bytes) -> None:
        self._path.send(packet)


@dataclass
class Peers:
    outlet: Outlet
    frames: list[bytes] = field(default_factory=list)
    reports: list[RtcpSrPacket] = field(default_factory=list)


@pytest.fixture
async def peers(request: pytest.FixtureRequest) -> AsyncIterator[Peers]:
    """A relay sender and an aiortc viewer over loopback, frames taken before its decoder."""
    install_host_addresses([LOOPBACK])
    lose: set[int] = getattr(request, "param", set())
    server, viewer = RTCPeerConnection(rtc_configuration()), RTCPeerConnection(rtc_configuration())
    outlet = Outlet("h264", lambda: None, lambda codec: None)
    result = Peers(outlet)

    def make(path: hooks.RtpSendPath) -> RelayRtpLoop:
        lossy = DropOnce(path, lose)
        return RelayRtpLoop(lossy, outlet, "video", BurstPacer(PACKETS_PER_TURN))  # type: ignore[arg-type]

    transceiver = server.addTransceiver(RelayTrack("video"), direction="sendonly")
    capabilities = RTCRtpSender.getCapabilities("video")
    transceiver.setCodecPreferences(
        [c for c in capabilities.codecs if c.mimeType.lower() in ("video/h264", "video/rtx")]
    )
    hooks.replace_rtp_loop(transceiver.sender, make)
    viewer.addTransceiver("video", direction="recvonly")

    @viewer.on("track")
    def on_track(track: object) -> None:
        receiver = viewer.getTransceivers()[0].receiver

        def deliver(codec: RTCRtpCodecParameters, timestamp: int, data: bytes) -> None:
            result.frames.append(data)

        hooks.divert_frames_before_decoder(receiver, deliver)
        hooks.watch_rtcp(
            receiver, lambda p: result.reports.append(p) if isinstance(p, RtcpSrPacket) else None
        )

    await server.setLocalDescription(await server.createOffer())
    await viewer.setRemoteDescription(server.localDescription)
    await viewer.setLocalDescription(await viewer.createAnswer())
    await server.setRemoteDescription(viewer.localDescription)
    await wait_until(lambda: server.connectionState == "connected", 10, "the viewer connects")
    try:
        yield result
    finally:
        await asyncio.gather(server.close(), viewer.close())


@pytest.fixture(params=["python", "native"])
def send_path(request: pytest.FixtureRequest) -> Iterator[str]:
    """Each way the process can send (streaming/send_path.py), then back to Python's."""
    yield use_send_path(request.param)
    use_send_path("python")


async def test_a_viewer_reassembles_every_frame_as_published(send_path: str, peers: Peers) -> None:
    units = [access_unit(n, 3000 if n == 0 else 500, keyframe=n == 0) for n in range(6)]
    for number in range(6):
        peers.outlet.offer(relay_frame(number, 3000 if number == 0 else 500, keyframe=number == 0))
        await asyncio.sleep(0.01)
    # the jitter buffer lets a frame out when the next one starts: the last stays inside
    await wait_until(lambda: len(peers.frames) >= 5, 10, "five frames reassembled")
    assert peers.frames[:5] == units[:5]
    await wait_until(lambda: bool(peers.reports), 5, "a sender report")
    assert peers.reports[0].sender_info.packet_count >= len(relay_frame(0, 3000).payloads)


@pytest.mark.parametrize("peers", [{2, 3}], indirect=True)
async def test_lost_packets_are_sent_again_over_rtx(peers: Peers) -> None:
    keyframe = access_unit(0, 3000, keyframe=True)
    for number in range(4):
        peers.outlet.offer(relay_frame(number, 3000 if number == 0 else 500, keyframe=number == 0))
        await asyncio.sleep(0.05)
    await wait_until(lambda: len(peers.frames) >= 3, 10, "frames after the lost packets")
    assert peers.frames[0] == keyframe, "the keyframe is whole again: the NACK was answered"


class RecordingPath:
    """A send path that notes which viewer sent what, in order."""

    def __init__(self, name: str, log: list[tuple[str, int]]) -> None:
        self.name, self.log = name, log
        self.rtx_ssrc, self.rtx_payload_type = 1, None

    def header(self, timestamp: int, ntp_time: int) -> bytearray:
        return bytearray(12)

    def send_frame(self, frame: hooks.OutgoingFrame) -> None:
        self.log.append((self.name, len(frame.payloads)))

    def sent(self, timestamp: int, ntp_time: int, packets: int, octets: int) -> None:
        pass


@pytest.fixture
async def tasks() -> AsyncIterator[list[asyncio.Task[None]]]:
    started: list[asyncio.Task[None]] = []
    yield started
    for task in started:
        task.cancel()
    await asyncio.gather(*started, return_exceptions=True)


def viewers(
    names: str, log: list[tuple[str, int]], tasks: list[asyncio.Task[None]], budget: int
) -> dict[str, Outlet]:
    """Relay loops of viewers sharing one pacer, started in this order, waiting for frames."""
    pacer = BurstPacer(budget)
    outlets: dict[str, Outlet] = {}
    for name in names:
        outlets[name] = Outlet("h264", lambda: None, lambda codec: None)
        path = RecordingPath(name, log)
        loop = RelayRtpLoop(path, outlets[name], "video", pacer)  # type: ignore[arg-type]
        tasks.append(asyncio.ensure_future(loop.run()))
    return outlets


async def settle() -> None:
    for _ in range(50):
        await asyncio.sleep(0)


async def test_keyframe_bursts_share_each_turn_and_small_frames_pass(
    tasks: list[asyncio.Task[None]],
) -> None:
    log: list[tuple[str, int]] = []
    keyframe, small = relay_frame(0, 60_000, keyframe=True), relay_frame(1, 500)
    burst = len(keyframe.payloads)
    assert burst > BURST_PACKETS
    outlets = viewers("abc", log, tasks, budget=2 * burst)
    await settle()
    for outlet in outlets.values():
        outlet.offer(keyframe)
    await asyncio.sleep(0)  # one turn: the viewers run, then this test
    assert log == [("a", burst), ("b", burst)], "two bursts fit in a turn, c waits"
    outlets["a"].offer(small)
    await settle()
    assert log[2:] == [("c", burst), ("a", len(small.payloads))], "c goes next turn, in order"
    outlets["b"].offer(small)
    await asyncio.sleep(0)
    assert log[-1] == ("b", len(small.payloads)), "small frames never wait for a turn"


async def test_a_viewer_leaving_while_it_waits_for_a_turn_holds_nobody(
    tasks: list[asyncio.Task[None]],
) -> None:
    log: list[tuple[str, int]] = []
    keyframe = relay_frame(0, 60_000, keyframe=True)
    outlets = viewers("abc", log, tasks, budget=len(keyframe.payloads))
    await settle()
    for outlet in outlets.values():
        outlet.offer(keyframe)
    await asyncio.sleep(0)
    tasks[1].cancel()  # b hangs up while it waits for room
    await settle()
    assert [name for name, _ in log] == ["a", "c"]
