"""The relay's send side in C (streaming/native/tx.py): what reaches the socket is exactly what
the Python path builds of a frame, protected by pylibsrtp, in order, for every SRTP profile
aiortc offers; refusals are errors, never silent; and the native `FrameWriter` over a real
datagram transport delivers a frame's packets."""

from __future__ import annotations

import asyncio
import os
import socket

import pytest
from aiortc.rtp import RtpPacket

from tests.streaming.native_stream import PROFILES, require_native, session

require_native()

from streaming.aiortc_hooks import OutgoingFrame  # noqa: E402
from streaming.native.tx import MAX_PACKET, MAX_PACKETS, Tx  # noqa: E402
from streaming.send_path import native_writer  # noqa: E402

SSRC = 0x0A0B0C0D


def frame(count: int, payload: int, first_seq: int = 65_500) -> OutgoingFrame:
    """A frame of `count` packets whose sequence numbers wrap on the way."""
    header = RtpPacket(payload_type=102, timestamp=90_000, ssrc=SSRC).serialize()
    payloads = [bytes([i & 0xFF]) * payload for i in range(count)]
    return OutgoingFrame(
        header, first_seq, payloads, b"".join(payloads), [len(p) for p in payloads]
    )


def receiver() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)  # capped by rmem_max
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(5)
    return sock


def sender() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    return sock


@pytest.mark.parametrize("profile", list(PROFILES))
@pytest.mark.parametrize(("count", "payload"), [(1, 300), (64, 1200), (300, 24)])
def test_what_is_sent_is_the_python_path_s_packets_protected_by_pylibsrtp(
    profile: str, count: int, payload: int
) -> None:
    """Byte for byte: the sequence numbers, the marker on the last packet only, the payloads,
    and the SRTP of the viewer's own session, in order."""
    key = os.urandom(PROFILES[profile][1])
    ours, reference = session(profile, key, inbound=False), session(profile, key, inbound=False)
    sent = frame(count, payload)
    with receiver() as inbox, sender() as outbox:
        assert Tx().send_frame(ours, outbox.fileno(), inbox.getsockname(), sent) == []
        received = [inbox.recv(2048) for _ in range(count)]
    assert received == [reference.protect(packet) for packet in sent.packets()]
    decrypted = session(profile, key, inbound=True)
    plain = [RtpPacket.parse(decrypted.unprotect(datagram)) for datagram in received]
    assert [p.sequence_number for p in plain] == [(65_500 + i) & 0xFFFF for i in range(count)]
    assert [p.marker for p in plain] == [0] * (count - 1) + [1]
    assert [p.payload for p in plain] == list(sent.payloads)


@pytest.mark.parametrize(
    "lengths",
    [
        [30, 1100, 1100, 1099, 1099, 1099, 400],  # a STAP-A, FU-As split evenly, a short last
        [1200] * 70 + [1199] * 70,  # more than one send of the kernel's 64 datagrams at most
        [500, 900, 900, 300, 900, 900, 900, 20, 20, 20],  # runs that grow, shrink and repeat
    ],
)
def test_packets_of_every_size_arrive_whole_and_in_order(lengths: list[int]) -> None:
    """Runs of equal-sized packets go as one send the kernel cuts into datagrams (UDP GSO):
    each datagram is still exactly one packet, whatever the sizes around it."""
    key = os.urandom(PROFILES["cm"][1])
    ours, reference = session("cm", key, inbound=False), session("cm", key, inbound=False)
    header = RtpPacket(payload_type=102, timestamp=90_000, ssrc=SSRC).serialize()
    payloads = [bytes([i & 0xFF]) * length for i, length in enumerate(lengths)]
    sent = OutgoingFrame(header, 7, payloads, b"".join(payloads), lengths)
    with receiver() as inbox, sender() as outbox:
        assert Tx().send_frame(ours, outbox.fileno(), inbox.getsockname(), sent) == []
        received = [inbox.recv(2048) for _ in lengths]
    assert received == [reference.protect(packet) for packet in sent.packets()]


def test_refusals_are_errors() -> None:
    key = os.urandom(PROFILES["cm"][1])
    ours = session("cm", key, inbound=False)
    tx = Tx()
    with receiver() as inbox, sender() as outbox:
        to = inbox.getsockname()
        with pytest.raises(ValueError, match="more than"):
            tx.send_frame(ours, outbox.fileno(), to, frame(1, MAX_PACKET))
        with pytest.raises(ValueError, match="at most"):
            tx.send_frame(ours, outbox.fileno(), to, frame(MAX_PACKETS + 1, 1))
        with pytest.raises(OSError):  # not a numeric address
            tx.send_frame(ours, outbox.fileno(), ("localhost", 9), frame(1, 10))
        closed = outbox.fileno()
    with pytest.raises(OSError):  # the socket is gone
        tx.send_frame(ours, closed, ("127.0.0.1", 9), frame(1, 10))


async def test_the_native_writer_sends_a_frame_through_a_datagram_transport() -> None:
    key = os.urandom(PROFILES["gcm128"][1])
    ours = session("gcm128", key, inbound=False)
    decrypted = session("gcm128", key, inbound=True)
    loop = asyncio.get_running_loop()
    keyframe = frame(90, 1100)
    with receiver() as inbox:
        transport, _ = await loop.create_datagram_endpoint(
            asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0)
        )
        try:
            native_writer()(ours, transport, inbox.getsockname(), keyframe)
            received = [inbox.recv(2048) for _ in range(90)]
        finally:
            transport.close()
    assert [decrypted.unprotect(datagram) for datagram in received] == keyframe.packets()
