"""A WHIP publication reports on every stream it receives in one RTCP receiver report a
second, as seen by a real aiortc publisher, and stops reporting when it ends."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest
from aiortc import RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack
from aiortc.rtp import AnyRtcpPacket, RtcpRrPacket

from streaming.codecs import install_codecs
from streaming.hub import Hub
from streaming.ice import LOOPBACK, install_host_addresses, rtc_configuration
from streaming.whip import WhipPublication
from tests.support.camera import EncodingCamera


@dataclass
class Publishing:
    publication: WhipPublication
    video_ssrc: int
    audio_ssrc: int
    reports: list[RtcpRrPacket] = field(default_factory=list)  # as received


def watch_reports(sender: RTCRtpSender, seen: list[RtcpRrPacket]) -> None:
    """Note each RR the sender is handed; a packet naming two senders is handed to both."""
    handle = sender._handle_rtcp_packet

    async def noting(packet: AnyRtcpPacket) -> None:
        if isinstance(packet, RtcpRrPacket) and all(p is not packet for p in seen):
            seen.append(packet)
        await handle(packet)

    sender._handle_rtcp_packet = noting  # type: ignore[method-assign]


async def publish(number: int) -> tuple[Publishing, Callable[[], Awaitable[None]]]:
    """A real publisher of video and audio, connected to a publication; and its hang-up."""
    install_codecs()
    install_host_addresses([LOOPBACK])
    camera = EncodingCamera(320, 240, 30, gop=30, first_number=1000 * number)
    publisher = RTCPeerConnection(rtc_configuration())
    video = publisher.addTransceiver(camera, direction="sendonly")
    capabilities = RTCRtpSender.getCapabilities("video")
    video.setCodecPreferences(
        [c for c in capabilities.codecs if c.mimeType.lower() in ("video/h264", "video/rtx")]
    )
    audio = publisher.addTransceiver(AudioStreamTrack(), direction="sendonly")
    await publisher.setLocalDescription(await publisher.createOffer())
    publication = await WhipPublication.create(
        publisher.localDescription.sdp, Hub(), on_ended=lambda _: None
    )
    state = Publishing(publication, video.sender._ssrc, audio.sender._ssrc)
    watch_reports(video.sender, state.reports)
    watch_reports(audio.sender, state.reports)
    await publisher.setRemoteDescription(
        RTCSessionDescription(sdp=publication.answer_sdp, type="answer")
    )

    async def hang_up() -> None:
        await publication.close()
        await publisher.close()
        camera.stop()

    return state, hang_up


def reporters() -> list[asyncio.Task[object]]:
    return [t for t in asyncio.all_tasks() if t.get_name() == "receiver reports"]


@pytest.fixture
async def publishing() -> AsyncIterator[Publishing]:
    state, hang_up = await publish(0)
    try:
        yield state
    finally:
        await hang_up()


async def until(condition: Callable[[], bool], what: str, timeout_s: float = 20.0) -> None:
    """Wait for `condition` (a loaded machine may take seconds to connect and report)."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"no {what} within {timeout_s} s"
        await asyncio.sleep(0.05)


def naming_both(state: Publishing) -> list[RtcpRrPacket]:
    both = {state.video_ssrc, state.audio_ssrc}
    return [packet for packet in state.reports if {b.ssrc for b in packet.reports} == both]


async def test_one_report_a_second_names_both_streams(publishing: Publishing) -> None:
    def three_with_the_last_sender_report() -> bool:
        reports = naming_both(publishing)
        return len(reports) >= 3 and any(b.lsr and b.dlsr for b in reports[-1].reports)

    await until(three_with_the_last_sender_report, "three reports after a sender report")
    both = {publishing.video_ssrc, publishing.audio_ssrc}
    blocks = [{block.ssrc for block in packet.reports} for packet in publishing.reports]
    first = blocks.index(both)
    assert all(ssrcs == both for ssrcs in blocks[first:]), blocks  # never one stream alone
    assert len({packet.ssrc for packet in publishing.reports}) == 1  # one reporter
    # what the publisher's sender reports make of them: each block says when it heard last
    last = publishing.reports[-1]
    assert all(block.highest_sequence > 0 for block in last.reports)


async def test_reports_stop_with_the_publication(publishing: Publishing) -> None:
    await until(lambda: bool(naming_both(publishing)), "report")
    await asyncio.wait_for(publishing.publication.close(), 10)  # its receivers' stop() returns
    await asyncio.sleep(0.3)  # one sent just before is read by now
    heard = len(publishing.reports)
    await asyncio.sleep(2.0)  # past the longest interval
    assert len(publishing.reports) == heard
    assert not reporters()


async def test_one_timer_reports_for_every_publication(publishing: Publishing) -> None:
    other, hang_up = await publish(1)
    try:
        await until(lambda: all(naming_both(s) for s in (publishing, other)), "reports")
        assert len(reporters()) == 1
    finally:
        await hang_up()
    heard = len(publishing.reports)
    await until(lambda: len(publishing.reports) > heard, "report after the other's end")
