"""The C receive context (streaming/native/rx.py) on a synthetic SRTP stream: the frames that
come out are the frames that went in, for every SRTP profile aiortc offers, across a sequence
number wrap, through reordering and loss repaired by NACK and RTX, and read with recvmmsg."""

from __future__ import annotations

import random
import socket

import pytest
from aiortc.rtp import RtpPacket

from tests.streaming.native_stream import (
    AUDIO_PT,
    AUDIO_SSRC,
    RTX_PT,
    RTX_SSRC,
    VIDEO_PT,
    VIDEO_SSRC,
    Stream,
    make_stream,
    require_native,
    session,
)

require_native()

from streaming.native.rx import H264, OPUS, Rx  # noqa: E402


class Collect:
    def __init__(self) -> None:
        self.frames: list[tuple[int, int, bytes]] = []
        self.others: list[tuple[bytes, tuple[str, int] | None]] = []
        self.rtps: list[bytes] = []
        self.nacks: list[tuple[int, list[int]]] = []
        self.plis: list[int] = []

    def frame(self, ssrc: int, payload_type: int, timestamp: int, data: bytes) -> None:
        self.frames.append((ssrc, timestamp, data))

    def other(self, data: bytes, addr: tuple[str, int] | None) -> None:
        self.others.append((data, addr))

    def rtp(self, data: bytes) -> None:
        self.rtps.append(data)

    def nack(self, ssrc: int, lost: list[int]) -> None:
        self.nacks.append((ssrc, lost))

    def pli(self, ssrc: int) -> None:
        self.plis.append(ssrc)


def receiving(stream: Stream) -> tuple[Rx, Collect]:
    collect = Collect()
    rx = Rx(collect)
    rx.set_session(session(stream.profile, stream.key))
    rx.add_stream(VIDEO_SSRC, VIDEO_PT, H264, 90000, 512, True, (RTX_SSRC, RTX_PT))
    rx.add_stream(AUDIO_SSRC, AUDIO_PT, OPUS, 48000, 16, False)
    return rx, collect


@pytest.mark.parametrize("profile", ["cm", "gcm128", "gcm256"])
def test_frames_out_are_the_frames_in(profile: str) -> None:
    stream = make_stream(3, profile=profile)
    rx, got = receiving(stream)
    for datagram in stream.srtp:
        assert rx.feed(datagram)
    assert sorted(got.frames) == sorted(stream.frames)
    assert not got.nacks and not got.plis and not got.others
    assert rx.stream_stats(VIDEO_SSRC)["cycles"] == 1 << 16  # the sequence number wrapped


def test_reordering_and_loss_are_repaired_by_nack_and_rtx() -> None:
    stream = make_stream(2)
    rx, got = receiving(stream)
    order = list(range(len(stream.srtp)))
    for i in range(20, len(order) - 3, 17):  # local swaps, after the first packets
        order[i], order[i + 2] = order[i + 2], order[i]
    video = [i for i in order if RtpPacket.parse(stream.rtp[i]).ssrc == VIDEO_SSRC]
    lost = set(random.Random(3).sample(video[10:-20], 5))
    sender = session(stream.profile, stream.key, inbound=False)
    due: list[tuple[int, int]] = []  # position to retransmit at, index of a lost packet
    for position, i in enumerate(order):
        if i in lost:
            due.append((position + 30, i))
        else:
            rx.feed(stream.srtp[i])
        while due and due[0][0] <= position:
            _, j = due.pop(0)
            packet = RtpPacket.parse(stream.rtp[j])
            assert packet.sequence_number in {seq for _, seqs in got.nacks for seq in seqs}
            payload = packet.sequence_number.to_bytes(2, "big") + packet.payload  # RFC 4588
            rtx = RtpPacket(RTX_PT, packet.marker, j, packet.timestamp, RTX_SSRC, payload)
            rx.feed(sender.protect(rtx.serialize()))
    assert not due
    assert sorted(got.frames) == sorted(stream.frames)
    assert not got.plis


def test_what_is_not_srtp_media_is_declined() -> None:
    rx, got = receiving(make_stream(1))
    stun = b"\x00\x01\x00\x00\x21\x12\xa4\x42" + bytes(12)
    dtls = b"\x16\xfe\xfd" + bytes(20)
    srtcp = bytes([0x80, 200]) + bytes(30)
    assert not any(rx.feed(datagram) for datagram in (stun, dtls, srtcp))
    assert rx.feed(b"\x80\x66" + bytes(40))  # SRTP failing authentication: taken and dropped
    assert rx.stats()["srtp_failures"] == 1
    assert not got.frames


def test_a_stream_not_assembled_in_c_comes_back_decrypted() -> None:
    stream = make_stream(1)
    got = Collect()
    rx = Rx(got)
    rx.set_session(session(stream.profile, stream.key))
    for datagram in stream.srtp[:5]:
        rx.feed(datagram)
    assert got.rtps == stream.rtp[:5]


def test_recvmmsg_drains_a_socket() -> None:
    stream = make_stream(2)
    rx, got = receiving(stream)
    with (
        socket.socket(type=socket.SOCK_DGRAM) as server,
        socket.socket(type=socket.SOCK_DGRAM) as client,
    ):
        server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        server.bind(("127.0.0.1", 0))
        stun = b"\x00\x01\x00\x00" + bytes(16)
        read = 0
        for start in range(0, len(stream.srtp), 100):
            for datagram in [*stream.srtp[start : start + 100], stun]:
                client.sendto(datagram, server.getsockname())
            read += rx.read(server.fileno())
        assert read == len(stream.srtp) + (len(stream.srtp) + 99) // 100
        assert sorted(got.frames) == sorted(stream.frames)
        source = ("127.0.0.1", client.getsockname()[1])
        assert got.others and all(other == (stun, source) for other in got.others)
        assert rx.read(server.fileno()) == 0
