"""`NativeReceivePath` on a real aiortc receiver and transport, through Courtcast's hooks: SRTP
datagrams given to the ICE socket callback come out as the receiver's frames, a loss is NACKed
and repaired by RTX, SRTCP still goes to aiortc, receiver reports and synchronization sources
keep working, and a VP8 receiver falls back to the Python path. And the process's choice."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import aioice
import pytest
from aiortc import RTCPeerConnection
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
from streaming.receive_path import PythonReceivePath, install_receive_path, use_receive_path
from tests.streaming.native_stream import require_native
from tests.streaming.test_receive_path import Receiving

require_native()

from streaming.native.receive_path import NativeReceivePath  # noqa: E402

SSRC, RTX_SSRC = 1234, 5678
H264 = RTCRtpCodecParameters(
    mimeType="video/H264",
    clockRate=90000,
    payloadType=102,
    parameters={"packetization-mode": "1", "profile-level-id": "42e01f"},
)
H264_RTX = RTCRtpCodecParameters(
    mimeType="video/rtx", clockRate=90000, payloadType=103, parameters={"apt": 102}
)
VP8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)
VP8_KEYFRAME = b"\x10\x02\x00\x9d\x01\x2a" + bytes(20)


@dataclass
class ReceivingH264(Receiving):
    """The Python path's test rig, keeping each frame's bytes too."""

    units: list[bytes] = field(default_factory=list)


async def receiving_with(
    codecs: list[RTCRtpCodecParameters],
) -> tuple[RTCPeerConnection, ReceivingH264]:
    pc = RTCPeerConnection()
    receiver = pc.addTransceiver("video", direction="recvonly").receiver
    await pc.setLocalDescription(await pc.createOffer())  # gathers: the ICE sockets exist
    transport = receiver.transport
    key = bytes(range(30))
    transport._rx_srtp = Session(Policy(key=key, ssrc_type=Policy.SSRC_ANY_INBOUND))
    sender = Session(Policy(key=key, ssrc_type=Policy.SSRC_ANY_OUTBOUND))
    connection: aioice.Connection = transport.transport._connection
    protocol = connection._protocols[0]
    state = ReceivingH264(receiver, sender, None)
    connection.data_received = lambda data, component: state.queued.append(data)  # type: ignore[method-assign]

    async def nack(media_ssrc: int, lost: list[int]) -> None:
        state.nacks.append(lost)

    async def pli(media_ssrc: int) -> None:
        pass

    receiver._send_rtcp_nack = nack  # type: ignore[method-assign]
    receiver._send_rtcp_pli = pli  # type: ignore[method-assign]

    def deliver(codec: RTCRtpCodecParameters, timestamp: int, data: bytes) -> None:
        state.frames.append(timestamp)
        state.units.append(data)

    hooks.divert_frames_before_decoder(receiver, deliver)
    hooks.keep_sender_rtp_timestamps(receiver)
    receiver._track = RemoteStreamTrack(kind="video")
    rtx = RTCRtpRtxParameters(RTX_SSRC)
    encoding = RTCRtpDecodingParameters(ssrc=SSRC, payloadType=codecs[0].payloadType or 0, rtx=rtx)
    await receiver.receive(RTCRtpReceiveParameters(codecs=codecs, encodings=[encoding]))
    install_receive_path([transport], factory=NativeReceivePath)
    state.datagram_received = protocol.datagram_received
    return pc, state


@pytest.fixture
async def h264() -> AsyncIterator[ReceivingH264]:
    pc, state = await receiving_with([H264, H264_RTX])
    try:
        yield state
    finally:
        await state.receiver.stop()
        await pc.close()


def access_unit(number: int) -> bytes:
    """An IDR of 3 FU-A packets every 5 frames, else a one-packet P slice; fixed bytes."""
    if number % 5 == 0:
        nals = [
            b"\x67" + bytes([number]) * 10,
            b"\x68" + bytes(3),
            b"\x65" + bytes([number]) * 3000,
        ]
    else:
        nals = [b"\x41" + bytes([number]) * 500]
    return b"".join(b"\x00\x00\x00\x01" + nal for nal in nals)


def h264_packets(units: list[bytes], first_seq: int = 65530) -> list[RtpPacket]:
    packets: list[RtpPacket] = []
    for i, unit in enumerate(units):
        payloads = hooks.h264_payloads(unit)
        timestamp = (4_294_960_000 + 3000 * i) & 0xFFFFFFFF  # wraps too
        for j, payload in enumerate(payloads):
            seq = (first_seq + len(packets)) & 0xFFFF
            marker = int(j == len(payloads) - 1)
            packets.append(RtpPacket(102, marker, seq, timestamp, SSRC, payload))
    return packets


async def yield_to_tasks() -> None:
    for _ in range(3):
        await asyncio.sleep(0)


async def test_frames_nack_rtx_and_rtcp(h264: ReceivingH264) -> None:
    units = [access_unit(i) for i in range(12)]
    packets = h264_packets(units)
    lost = packets[5]  # the third frame's: the first is 4 packets (STAP-A, 3 FU-A), the second 1
    for packet in packets:
        if packet is not lost:
            h264.send(packet)
    await yield_to_tasks()
    assert h264.nacks == [[lost.sequence_number]]
    assert h264.units == units[:2]  # the rest wait for the lost packet
    h264.send(wrap_rtx(lost, payload_type=103, sequence_number=0, ssrc=RTX_SSRC))
    assert h264.units == units  # at its marker, the last one too
    info = RtcpSenderInfo(ntp_timestamp=1, rtp_timestamp=2, packet_count=3, octet_count=4)
    h264.send(RtcpSrPacket(ssrc=SSRC, sender_info=info))
    assert len(h264.queued) == 1  # SRTCP: still encrypted, aiortc's way
    assert [s.source for s in h264.receiver.getSynchronizationSources()] == [SSRC]
    stats = hooks.ReceiverState.of(h264.receiver).remote_streams[SSRC]
    assert stats.packets_received == len(packets)
    assert stats.cycles == 1 << 16  # the sequence number wrapped


async def test_garbage_is_dropped_and_the_stream_goes_on(h264: ReceivingH264) -> None:
    units = [access_unit(i) for i in range(3)]
    packets = h264_packets(units)
    h264.send(packets[0])
    h264.datagram_received(b"\x80\x66" + bytes(range(59)), ("127.0.0.1", 9))  # fails SRTP auth
    h264.datagram_received(b"\x80", ("127.0.0.1", 9))
    for packet in packets[1:]:
        h264.send(packet)
    assert h264.units == units


async def test_a_vp8_receiver_falls_back_to_the_python_path() -> None:
    pc, state = await receiving_with([VP8])
    try:
        for number in range(3):
            packet = RtpPacket(96, 1, number, 1_000_000 + 3000 * number, SSRC)
            packet.payload = hooks.vp8_payloads(VP8_KEYFRAME, number)[0]
            state.send(packet)
        # Python's FrameAssembler: a frame leaves when the next one starts
        assert state.frames == [1_000_000, 1_003_000]
    finally:
        await state.receiver.stop()
        await pc.close()


def test_the_process_chooses_native_unless_told_python(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="streaming.receive_path")
    try:
        assert use_receive_path("auto") == "native"
        assert use_receive_path("native") == "native"
        assert use_receive_path("python") == "python"
        with pytest.raises(ValueError, match="one of auto, native, python"):
            use_receive_path("fast")
    finally:
        use_receive_path("python")
    assert [r.getMessage() for r in caplog.records][-1] == "receive path: python"
    assert PythonReceivePath is not NativeReceivePath


async def test_rtx_before_its_stream_and_a_stray_payload_type_are_dropped(
    h264: ReceivingH264,
) -> None:
    units = [access_unit(i) for i in range(3)]
    packets = h264_packets(units)
    early = wrap_rtx(packets[1], payload_type=103, sequence_number=0, ssrc=RTX_SSRC)
    h264.send(early)  # its media stream is not known yet: nothing to repair
    for packet in packets:
        h264.send(packet)
    stray = RtpPacket(103, 1, (packets[-1].sequence_number + 1) & 0xFFFF, 1, SSRC, b"\x00\x01x")
    h264.send(stray)  # the RTX payload type on the media SSRC
    assert h264.units == units
    assert not h264.nacks
