"""The Python receive path on a real aiortc receiver and transport: SRTP datagrams given to
the ICE socket callback come out as the receiver's frames, with NACK, RTX and PLI intact,
and what it does not handle (SRTCP, garbage) neither stops it nor is lost to aiortc."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aioice
import pytest
from aiortc import RTCPeerConnection, RTCRtpReceiver
from aiortc.rtcrtpparameters import (
    RTCRtpCodecParameters,
    RTCRtpDecodingParameters,
    RTCRtpReceiveParameters,
    RTCRtpRtxParameters,
)
from aiortc.rtcrtpreceiver import RemoteStreamTrack
from aiortc.rtp import RtcpSenderInfo, RtcpSrPacket, RtpPacket, wrap_rtx
from pylibsrtp import Policy, Session

from streaming import aiortc_hooks as hooks
from streaming.receive_path import FrameAssembler, LossTracker, install_receive_path

SSRC, RTX_SSRC = 1234, 5678
VP8_KEYFRAME = b"\x10\x02\x00\x9d\x01\x2a" + bytes(20)
VP8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)
RTX = RTCRtpCodecParameters(
    mimeType="video/rtx", clockRate=90000, payloadType=97, parameters={"apt": 96}
)


@dataclass
class Receiving:
    """A started video receiver whose transport decrypts what `send` encrypts."""

    receiver: RTCRtpReceiver
    srtp: Session
    datagram_received: Any
    frames: list[int] = field(default_factory=list)
    queued: list[bytes] = field(default_factory=list)  # what went aiortc's way
    nacks: list[list[int]] = field(default_factory=list)
    plis: list[int] = field(default_factory=list)

    def send(self, packet: RtpPacket | RtcpSrPacket) -> None:
        if isinstance(packet, RtcpSrPacket):
            protected = self.srtp.protect_rtcp(bytes(packet))
        else:
            protected = self.srtp.protect(packet.serialize())
        self.datagram_received(protected, ("127.0.0.1", 9))


def vp8(sequence_number: int, timestamp: int) -> RtpPacket:
    packet = RtpPacket(
        payload_type=96, marker=1, sequence_number=sequence_number, timestamp=timestamp, ssrc=SSRC
    )
    packet.payload = hooks.vp8_payloads(VP8_KEYFRAME, sequence_number)[0]
    return packet


@pytest.fixture
async def receiving() -> AsyncIterator[Receiving]:
    pc = RTCPeerConnection()
    receiver = pc.addTransceiver("video", direction="recvonly").receiver
    await pc.setLocalDescription(await pc.createOffer())  # gathers: the ICE sockets exist
    transport = receiver.transport
    key = bytes(range(30))  # fixed: the test is the same every run
    transport._rx_srtp = Session(Policy(key=key, ssrc_type=Policy.SSRC_ANY_INBOUND))
    sender = Session(Policy(key=key, ssrc_type=Policy.SSRC_ANY_OUTBOUND))
    connection: aioice.Connection = transport.transport._connection
    protocol = connection._protocols[0]
    state = Receiving(receiver, sender, protocol.datagram_received)
    connection.data_received = lambda data, component: state.queued.append(data)  # type: ignore[method-assign]

    async def nack(media_ssrc: int, lost: list[int]) -> None:
        state.nacks.append(lost)

    async def pli(media_ssrc: int) -> None:
        state.plis.append(media_ssrc)

    receiver._send_rtcp_nack = nack  # type: ignore[method-assign]
    receiver._send_rtcp_pli = pli  # type: ignore[method-assign]
    hooks.divert_frames_before_decoder(receiver, lambda c, ts, data: state.frames.append(ts))
    hooks.keep_sender_rtp_timestamps(receiver)
    receiver._track = RemoteStreamTrack(kind="video")
    encoding = RTCRtpDecodingParameters(
        ssrc=SSRC, payloadType=96, rtx=RTCRtpRtxParameters(RTX_SSRC)
    )
    await receiver.receive(RTCRtpReceiveParameters(codecs=[VP8, RTX], encodings=[encoding]))
    install_receive_path([transport])
    state.datagram_received = protocol.datagram_received
    try:
        yield state
    finally:
        await receiver.stop()
        await pc.close()


async def yield_to_tasks() -> None:
    import asyncio

    for _ in range(3):
        await asyncio.sleep(0)


async def test_packets_become_frames_and_rtcp_goes_to_aiortc(receiving: Receiving) -> None:
    for number in range(3):
        receiving.send(vp8(number, 1_000_000 + 3000 * number))
    info = RtcpSenderInfo(ntp_timestamp=1, rtp_timestamp=2, packet_count=3, octet_count=4)
    receiving.send(RtcpSrPacket(ssrc=SSRC, sender_info=info))
    # the jitter buffer lets a frame out when the next one starts
    assert receiving.frames == [1_000_000, 1_003_000]
    assert len(receiving.queued) == 1  # the sender report, still encrypted, for aiortc
    sources = [s.source for s in receiving.receiver.getSynchronizationSources()]
    assert sources == [SSRC]


async def test_a_lost_packet_is_nacked_and_recovered_from_rtx(receiving: Receiving) -> None:
    receiving.send(vp8(0, 1_000_000))
    receiving.send(vp8(2, 1_006_000))
    await yield_to_tasks()
    assert receiving.nacks == [[1]]
    assert receiving.frames == []  # the jitter buffer waits for the lost packet
    retransmitted = wrap_rtx(vp8(1, 1_003_000), payload_type=97, sequence_number=0, ssrc=RTX_SSRC)
    receiving.send(retransmitted)
    receiving.send(vp8(3, 1_009_000))
    assert receiving.frames == [1_000_000, 1_003_000, 1_006_000]


async def test_media_sent_before_our_handshake_is_done_is_held_then_handed_over_in_order(
    receiving: Receiving,
) -> None:
    """A publisher sends as soon as its side of the handshake is done, before ours: those
    packets must reach the same path as the later ones (split between aiortc's way and
    this path, a camera's second frame was lost from its recording)."""
    transport = receiving.receiver.transport
    keys, transport._rx_srtp = transport._rx_srtp, None
    for number in range(2):
        receiving.send(vp8(number, 1_000_000 + 3000 * number))
    assert (receiving.queued, receiving.frames) == ([], [])
    transport._rx_srtp = keys  # the handshake's last flight is read: our keys are set
    receiving.send(vp8(2, 1_006_000))
    assert receiving.frames == [1_000_000, 1_003_000]
    assert receiving.queued == []


async def test_garbage_is_dropped_and_the_stream_goes_on(receiving: Receiving) -> None:
    receiving.send(vp8(0, 1_000_000))
    # an RTP-looking datagram (payload type 96, not an RTCP type) that fails SRTP auth; fixed
    # bytes: random ones are RTCP-looking one time in 15 and rightly go to aiortc instead
    receiving.datagram_received(b"\x80\x60" + bytes(range(59)), ("127.0.0.1", 9))
    receiving.datagram_received(b"\x80", ("127.0.0.1", 9))
    unparsable = RtpPacket(payload_type=96, sequence_number=1, timestamp=1_003_000, ssrc=SSRC)
    unparsable.payload = b""
    receiving.send(unparsable)
    receiving.send(vp8(2, 1_006_000))
    receiving.send(vp8(3, 1_009_000))
    assert receiving.frames[0] == 1_000_000
    assert receiving.frames[-1] == 1_006_000
    assert receiving.queued == []


async def test_a_receiver_that_decodes_is_left_to_aiortc() -> None:
    pc = RTCPeerConnection()
    receiver = pc.addTransceiver("video", direction="recvonly").receiver
    try:
        assert hooks.ReceiverState.of(receiver).frames is None
        hooks.divert_frames_before_decoder(receiver, lambda c, ts, data: None)
        assert hooks.ReceiverState.of(receiver).frames is not None
    finally:
        await pc.close()


def numbered(sequence_number: int, timestamp: int) -> RtpPacket:
    packet = RtpPacket(sequence_number=sequence_number, timestamp=timestamp)
    packet._data = bytes([sequence_number & 0xFF])  # type: ignore[attr-defined]
    return packet


def test_frames_leave_in_order_once_complete() -> None:
    assembler = FrameAssembler(capacity=16, is_video=True)
    out: list[tuple[int, bytes]] = []
    # frame 100: packets 65534, 65535, 0 (the sequence wraps); frame 200: 1, 2; frame 300: 3
    for seq, timestamp in [(65534, 100), (0, 100), (1, 200), (65535, 100), (2, 200), (3, 300)]:
        keyframe_needed, frames = assembler.add(numbered(seq, timestamp))
        assert not keyframe_needed
        out += [(frame.timestamp, frame.data) for frame in frames]
    assert out == [(100, b"\xfe\xff\x00"), (200, b"\x01\x02")]
    assert assembler.add(numbered(65535, 100)) == (False, [])  # late duplicate: ignored


def test_a_gap_wider_than_the_buffer_drops_frames_and_asks_for_a_keyframe() -> None:
    assembler = FrameAssembler(capacity=16, is_video=True)
    assembler.add(numbered(0, 100))
    assembler.add(numbered(2, 200))  # 1 never comes
    keyframe_needed, frames = assembler.add(numbered(17, 300))
    assert keyframe_needed
    assert frames == []
    _, frames = assembler.add(numbered(18, 400))
    assert [frame.timestamp for frame in frames] == [300]


def test_losses_are_tracked_across_the_wrap_and_forgotten_after_128_packets() -> None:
    losses = LossTracker()
    assert not losses.add(65533)
    assert losses.add(1)  # 65534, 65535 and 0 lost
    assert losses.missing == {65534, 65535, 0}
    assert not losses.add(65535)  # retransmitted
    assert not losses.add(2)
    assert losses.missing == {65534, 0}
    assert losses.add(200)
    assert sorted(losses.missing) == list(range(72, 200))  # the last 128 only
