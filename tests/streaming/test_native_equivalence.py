"""The C frame assembler and loss tracker against Courtcast's Python `FrameAssembler` and
`LossTracker` with aiortc's depayloader, packet for packet: the same frames, NACK lists and
PLIs under loss, reordering, duplicates and a sender restart (fixed seeds). C runs with
emit_on_marker off here: the Python rule, a frame leaves when the next one starts."""

from __future__ import annotations

import random

import pytest
from aiortc.codecs import depayload
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtp import RtpPacket

from streaming.receive_path import FrameAssembler, LossTracker
from tests.streaming.native_stream import VIDEO_PT, VIDEO_SSRC, make_stream, require_native

require_native()

from streaming.native.rx import H264, Rx  # noqa: E402

H264_CODEC = RTCRtpCodecParameters(mimeType="video/H264", clockRate=90000, payloadType=VIDEO_PT)


class Collect:
    def __init__(self) -> None:
        self.frames: list[tuple[int, bytes]] = []
        self.nacks: list[list[int]] = []
        self.plis = 0

    def frame(self, ssrc: int, payload_type: int, timestamp: int, data: bytes) -> None:
        self.frames.append((timestamp, data))

    def nack(self, ssrc: int, lost: list[int]) -> None:
        self.nacks.append(lost)

    def pli(self, ssrc: int) -> None:
        self.plis += 1

    def other(self, data: bytes, addr: tuple[str, int] | None) -> None:
        raise AssertionError("plain RTP is never 'other'")

    def rtp(self, data: bytes) -> None:
        raise AssertionError("the stream is registered")


def mangled(packets: list[bytes], rnd: random.Random) -> list[bytes]:
    """3 % lost, 2 % duplicated, 5 % moved 1-2 places, and in 3 seeds of 10 the sender
    restarts halfway (sequence numbers jump back 20000)."""
    out: list[bytes] = []
    for packet in packets:
        r = rnd.random()
        if r < 0.03:
            continue
        out += [packet, packet] if r > 0.98 else [packet]
    for i in range(1, len(out) - 2):
        if rnd.random() < 0.05:
            j = i + rnd.randrange(1, 3)
            out[i], out[j] = out[j], out[i]
    if rnd.random() < 0.3:
        half = len(out) // 2
        for k in range(half, len(out)):
            restarted = RtpPacket.parse(out[k])
            restarted.sequence_number = (restarted.sequence_number - 20000) & 0xFFFF
            out[k] = restarted.serialize()
    return out


@pytest.mark.parametrize("seed", range(40))
def test_same_frames_nacks_and_plis(seed: int) -> None:
    rnd = random.Random(seed)
    stream = make_stream(3, seed=seed, first_seq=rnd.randrange(65536), key_packets=60)
    video = [rtp for rtp in stream.rtp if rtp[1] & 0x7F == VIDEO_PT]
    got = Collect()
    rx = Rx(got)
    rx.add_stream(VIDEO_SSRC, VIDEO_PT, H264, 90000, 512, True, emit_on_marker=False)
    assembler, losses = FrameAssembler(512, is_video=True), LossTracker()
    frames: list[tuple[int, bytes]] = []
    nacks: list[list[int]] = []
    plis = 0
    for rtp in mangled(video, rnd):
        rx.feed_plain(rtp)
        packet = RtpPacket.parse(rtp)
        if losses.add(packet.sequence_number):
            nacks.append(sorted(losses.missing))
        packet._data = depayload(H264_CODEC, packet.payload) if packet.payload else b""  # type: ignore[attr-defined]
        keyframe_needed, done = assembler.add(packet)
        plis += keyframe_needed
        frames += [(frame.timestamp, frame.data) for frame in done]
    assert got.frames == frames
    assert got.nacks == nacks
    assert got.plis == plis
