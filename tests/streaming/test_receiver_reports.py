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

WATCHED_S = 4.0


@dataclass
class Publishing:
    publication: WhipPublication
    video_ssrc: int
    audio_ssrc: int
    reports: list[tuple[float, RtcpRrPacket]] = field(default_factory=list)  # as received


def watch_reports(sender: RTCRtpSender, seen: list[tuple[float, RtcpRrPacket]]) -> None:
    """Note each RR the sender is handed; a packet naming two senders is handed to both."""
    handle = sender._handle_rtcp_packet

    async def noting(packet: AnyRtcpPacket) -> None:
        if isinstance(packet, RtcpRrPacket) and all(p is not packet for _, p in seen):
            seen.append((time.monotonic(), packet))
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


async def test_one_report_a_second_names_both_streams(publishing: Publishing) -> None:
    await asyncio.sleep(WATCHED_S)
    both = {publishing.video_ssrc, publishing.audio_ssrc}
    blocks = [{block.ssrc for block in packet.reports} for _, packet in publishing.reports]
    first = next((i for i, ssrcs in enumerate(blocks) if ssrcs == both), None)
    assert first is not None, f"no report named both streams: {blocks}"
    assert all(ssrcs == both for ssrcs in blocks[first:]), blocks
    assert len({packet.ssrc for _, packet in publishing.reports}) == 1  # one reporter
    # aiortc's interval (0.5-1.5 s) for the connection, not for each of its two receivers
    assert 2 <= len(publishing.reports) <= WATCHED_S / 0.5 + 1, blocks
    # what the publisher's sender reports make of them: each block says when it heard last
    last = publishing.reports[-1][1]
    assert all(block.highest_sequence > 0 for block in last.reports)
    assert any(block.lsr and block.dlsr for block in last.reports), last.reports


async def test_reports_stop_with_the_publication(publishing: Publishing) -> None:
    await asyncio.sleep(1.6)
    assert publishing.reports
    await asyncio.wait_for(publishing.publication.close(), 10)  # its receivers' stop() returns
    heard = len(publishing.reports)
    await asyncio.sleep(1.6)
    assert len(publishing.reports) == heard
    assert not reporters()


async def test_one_timer_reports_for_every_publication(publishing: Publishing) -> None:
    other, hang_up = await publish(1)
    try:
        await asyncio.sleep(WATCHED_S)
        assert len(reporters()) == 1
        for state in (publishing, other):
            named = {block.ssrc for _, packet in state.reports for block in packet.reports}
            assert named == {state.video_ssrc, state.audio_ssrc}
            assert 2 <= len(state.reports) <= WATCHED_S / 0.5 + 1
    finally:
        await hang_up()
    await asyncio.sleep(1.6)
    heard = len(publishing.reports)
    await asyncio.sleep(1.6)
    assert len(publishing.reports) > heard, "the other publication's end stopped these reports"
