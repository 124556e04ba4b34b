"""A hostile publisher against the C receive path: it holds the SRTP keys of its own connection,
so whatever it sends is decrypted and parsed in C. Lying header lengths, padding, CSRC counts,
FU-A and STAP-A sizes, truncations, oversize payloads and sequence jumps must neither crash the
process (every camera of the node lives in it) nor touch another stream or connection, and the
attacked stream must recover once the garbage stops."""

from __future__ import annotations

import random
import struct

import pytest
from aiortc.rtp import RtpPacket

from tests.streaming.native_stream import (
    AUDIO_SSRC,
    VIDEO_SSRC,
    make_stream,
    require_native,
)
from tests.streaming.test_native_rx import receiving

require_native()

SEEDS = range(16)
GARBAGE_SHARE = 0.5  # of the 8 s clip's packets (in send order), about its first 4 s
INTACT_FROM_FRAME = 180  # the keyframe at 6 s (one every 2 s): by then the stream recovered


def mangled(packet: bytes, rnd: random.Random) -> bytes:
    """One hostile variant of a valid video RTP packet (its SSRC and payload type kept, so it
    reaches the assembler unless the parser refuses it)."""
    header, payload = bytearray(packet[:12]), packet[12:]
    kind = rnd.randrange(9)
    if kind == 0:  # truncated anywhere, header included
        return packet[: rnd.randrange(len(packet))]
    if kind == 1:  # a CSRC count the packet does not hold
        header[0] = (header[0] & 0xF0) | rnd.randrange(16)
        return bytes(header) + payload[: rnd.randrange(len(payload) + 1)]
    if kind == 2:  # an extension length past the end
        header[0] |= 0x10
        return bytes(header) + struct.pack("!HH", 0xBEDE, rnd.randrange(65536)) + payload[:8]
    if kind == 3:  # padding longer than the packet, or zero
        header[0] |= 0x20
        return bytes(header) + payload[: rnd.randrange(1, 40)] + bytes([rnd.choice([0, 255])])
    if kind == 4:  # FU-A, too short or with random flags
        return (
            bytes(header) + bytes([0x7C, rnd.randrange(256)]) + rnd.randbytes(rnd.randrange(0, 3))
        )
    if kind == 5:  # STAP-A whose NAL sizes lie
        sizes = b"".join(struct.pack("!H", rnd.randrange(65536)) for _ in range(3))
        return bytes(header) + b"\x18" + sizes + rnd.randbytes(rnd.randrange(0, 64))
    if kind == 6:  # a payload larger than any slot, up to past the receive buffer
        return bytes(header) + b"\x41" + rnd.randbytes(rnd.randrange(1400, 2100))
    if kind == 7:  # a sequence number jump, near or far, with a random timestamp
        header[2:4] = struct.pack("!H", rnd.randrange(65536))
        header[4:8] = rnd.randbytes(4)
        return bytes(header) + payload
    return bytes(header) + rnd.randbytes(rnd.randrange(0, 200))  # NAL types aiortc refuses


@pytest.mark.parametrize("seed", SEEDS)
def test_garbage_touches_no_other_stream_and_the_attacked_one_recovers(seed: int) -> None:
    stream = make_stream(8, seed=seed)
    attacked, got = receiving(stream)
    neighbour, neighbours = receiving(stream)  # another connection of the same node
    rnd = random.Random(seed)
    garbage_until = int(len(stream.rtp) * GARBAGE_SHARE)
    for position, (plain, protected) in enumerate(zip(stream.rtp, stream.srtp, strict=True)):
        neighbour.feed(protected)
        if position < garbage_until and RtpPacket.parse(plain).ssrc == VIDEO_SSRC:
            for _ in range(rnd.randrange(3)):
                attacked.feed_plain(mangled(plain, rnd))
        attacked.feed(protected)
    assert attacked.stats()["malformed"] > 0  # the garbage reached the parser
    assert sorted(neighbours.frames) == sorted(stream.frames)
    audio = sorted(frame for frame in stream.frames if frame[0] == AUDIO_SSRC)
    assert sorted(frame for frame in got.frames if frame[0] == AUDIO_SSRC) == audio
    video = [frame for frame in stream.frames if frame[0] == VIDEO_SSRC]
    assert set(video[INTACT_FROM_FRAME:]) <= set(got.frames)
