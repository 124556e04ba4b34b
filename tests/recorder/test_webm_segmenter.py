"""The WebM segmenter, checked like the mp4 one: write the chunks out and decode them with PyAV."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from recorder import ebml
from recorder.bitstream import vp8_keyframe_size
from recorder.segment_plan import FragmentChunk, InitChunk
from recorder.webm_segmenter import WebmSegmenter
from streaming.frames import EncodedFrame
from tests.recorder.test_segmenter import (
    closed,
    decode,
    epoch_bytes,
    ffmpeg_logging,
    run,
    segment_bytes,
    video_after_first_keyframe,
)

__all__ = ["ffmpeg_logging"]  # the autouse fixture that turns FFmpeg's logging on

FPS = 30
BASE = 1_700_000_000.0


def vp8_packets(width: int, height: int, frames: int) -> list[bytes]:
    """A moving picture encoded with libvpx, a keyframe every second (the test's input only)."""
    encoder = av.CodecContext.create("libvpx", "w")
    assert isinstance(encoder, av.VideoCodecContext)
    encoder.width, encoder.height, encoder.pix_fmt = width, height, "yuv420p"
    encoder.time_base = Fraction(1, FPS)
    encoder.gop_size = FPS
    encoder.options = {
        "deadline": "realtime",
        "cpu-used": "8",
        "kf-max-dist": str(FPS),
        "b": "500k",
    }
    packets: list[bytes] = []
    for i in range(frames):
        image = np.zeros((height, width, 3), np.uint8)
        image[:, (i * 8) % width :] = (200, 80, 40)
        frame = av.VideoFrame.from_ndarray(image, format="rgb24").reformat(format="yuv420p")
        frame.pts = i
        packets += [bytes(p) for p in encoder.encode(frame)]
    return packets + [bytes(p) for p in encoder.encode(None)]


def opus_packets(seconds: float) -> list[bytes]:
    """20 ms Opus packets of a tone (the test's input only)."""
    encoder = av.CodecContext.create("libopus", "w")
    assert isinstance(encoder, av.AudioCodecContext)
    encoder.sample_rate, encoder.layout, encoder.format = 48_000, "mono", "s16"
    packets: list[bytes] = []
    for n in range(round(seconds * 50)):
        t = (np.arange(960) + n * 960) / 48_000
        samples = (np.sin(2 * np.pi * 440 * t) * 8000).astype(np.int16).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
        frame.sample_rate, frame.pts = 48_000, n * 960
        packets += [bytes(p) for p in encoder.encode(frame)]
    return packets


def as_frames(video: list[bytes], audio: list[bytes]) -> list[EncodedFrame]:
    """EncodedFrames as the WHIP ingest delivers them, interleaved by wall clock."""
    frames = [
        EncodedFrame("video", "vp8", data, i * 3000, 90_000, data[0] & 1 == 0, BASE + i / FPS, "c")
        for i, data in enumerate(video)
    ] + [
        EncodedFrame("audio", "opus", data, n * 960, 48_000, True, BASE + n / 50, "c")
        for n, data in enumerate(audio)
    ]
    return sorted(frames, key=lambda f: (f.wallclock, f.kind != "video"))


@pytest.fixture(scope="module")
def source() -> list[EncodedFrame]:
    """4 s at 640x360 with a tone."""
    return as_frames(vp8_packets(640, 360, 4 * FPS), opus_packets(4))


@pytest.fixture(scope="module")
def switching() -> list[EncodedFrame]:
    """2 s at 640x360, then the publisher switches to 1280x720 for 2 s."""
    return as_frames(
        vp8_packets(640, 360, 2 * FPS) + vp8_packets(1280, 720, 2 * FPS), opus_packets(4)
    )


def test_one_epoch_decodes_every_pushed_frame(source: list[EncodedFrame], tmp_path: Path) -> None:
    chunks = run(WebmSegmenter(), source)
    inits = [c for c in chunks if isinstance(c, InitChunk)]
    assert [(i.codecs, i.width, i.height) for i in inits] == [("vp8,opus", 640, 360)]
    decoded = decode(epoch_bytes(chunks, 1), tmp_path, "out.webm")
    assert decoded.errors == []
    pushed = video_after_first_keyframe(source)
    assert decoded.video_frames == len(pushed)
    assert decoded.video_samples == [f.data for f in pushed]
    assert decoded.audio_frames > 3.5 * 50
    assert decoded.first_audio is not None and decoded.first_video is not None
    assert abs(decoded.first_audio - decoded.first_video) < 0.030


def test_init_and_fragments_are_split_at_clusters(source: list[EncodedFrame]) -> None:
    chunks = run(WebmSegmenter(), source)
    assert WebmSegmenter.extension == "webm"
    init = next(c for c in chunks if isinstance(c, InitChunk)).data
    top = list(ebml.iter_elements(init))
    assert [e.id for e in top] == [ebml.EBML, ebml.SEGMENT]
    assert top[1].end is None  # live: unknown size
    children = [e.id for e in ebml.iter_elements(init, top[1].payload)]
    assert children == [ebml.INFO, ebml.TRACKS]
    for chunk in chunks:
        if isinstance(chunk, FragmentChunk):
            elements = list(ebml.iter_elements(chunk.data))
            assert elements and {e.id for e in elements} == {ebml.CLUSTER}
            assert elements[-1].end == len(chunk.data)


def test_every_segment_starts_with_a_keyframe(source: list[EncodedFrame], tmp_path: Path) -> None:
    chunks = run(WebmSegmenter(target_segment_s=1.0), source)
    segments = closed(chunks)
    assert len(segments) == 4
    for segment in segments:
        init, data = segment_bytes(chunks, segment.sequence)
        decoded = decode(init.data + data, tmp_path, f"seg{segment.sequence}.webm")
        assert decoded.errors == []
        assert decoded.keyframes[0]
        assert vp8_keyframe_size(decoded.video_samples[0]) == (640, 360)
        assert decoded.video_frames == segment.frames
        assert decoded.audio_frames > 0.9 * 50
        assert decoded.first_audio is not None and decoded.first_video is not None
        assert abs(decoded.first_audio - decoded.first_video) < 0.030
    video = video_after_first_keyframe(source)
    assert sum(s.frames for s in segments) == len(video)
    assert sum(s.duration_s for s in segments) == pytest.approx(len(video) / FPS, abs=1 / FPS)


def block_times(cluster: bytes) -> list[int]:
    """The times (ticks) of a Cluster's SimpleBlocks, in the order they are stored."""
    (element,) = ebml.iter_elements(cluster)
    base, times = 0, []
    for child in ebml.children(cluster, element):
        if child.id == ebml.TIMESTAMP:
            base = ebml.read_uint(cluster, child)
        elif child.id == ebml.SIMPLE_BLOCK:
            track = ebml.read_vint(cluster, child.payload, child.payload + 8)
            assert track is not None
            at = child.payload + track[1]
            times.append(base + int.from_bytes(cluster[at : at + 2], "big", signed=True))
    return times


def test_late_audio_is_dropped_and_blocks_stay_in_time_order(
    source: list[EncodedFrame], tmp_path: Path
) -> None:
    """Audio 60 ms behind video is interleaved; a burst held back 700 ms loses its oldest part."""

    def arrival(frame: EncodedFrame) -> float:
        if frame.kind == "video" or frame.wallclock < BASE + 0.5:
            return frame.wallclock
        if frame.wallclock < BASE + 2:
            return frame.wallclock + 0.06
        return max(frame.wallclock + 0.06, BASE + 2.7)  # 2.0-2.64 s arrive together at 2.7 s

    late = [f._replace(wallclock=arrival(f)) for f in source]
    segmenter = WebmSegmenter()
    chunks = run(segmenter, sorted(late, key=lambda f: (f.wallclock, f.kind != "video")))
    assert set(segmenter.drops) == {"late_audio"}
    assert 5 <= segmenter.drops["late_audio"] <= 12  # about the first 200 ms of the burst
    times = [block_times(c.data) for c in chunks if isinstance(c, FragmentChunk)]
    assert all(t == sorted(t) and t[0] >= 0 for t in times)
    assert [t[0] for t in times] == sorted(t[0] for t in times)
    decoded = decode(epoch_bytes(chunks, 1), tmp_path, "late_audio.webm")
    assert decoded.errors == []
    assert decoded.video_samples == [f.data for f in video_after_first_keyframe(source)]
    assert (
        decoded.audio_frames
        == sum(f.kind == "audio" for f in source) - segmenter.drops["late_audio"]
    )


def test_frames_before_the_first_keyframe_are_dropped(
    source: list[EncodedFrame], tmp_path: Path
) -> None:
    late = [f for f in source if f.wallclock >= BASE + 10 / FPS]
    segmenter = WebmSegmenter()
    chunks = run(segmenter, late)
    decoded = decode(epoch_bytes(chunks, 1), tmp_path, "late.webm")
    assert decoded.errors == []
    assert decoded.video_frames == 3 * FPS
    assert closed(chunks)[0].started_at == BASE + 1.0


def test_size_change_starts_a_new_epoch(switching: list[EncodedFrame], tmp_path: Path) -> None:
    chunks = run(WebmSegmenter(), switching)
    inits = [c for c in chunks if isinstance(c, InitChunk)]
    assert [(i.epoch, i.width, i.height) for i in inits] == [(1, 640, 360), (2, 1280, 720)]
    segments = closed(chunks)
    assert [(s.epoch, s.discontinuity) for s in segments] == [(1, False), (2, True)]
    total = 0
    for epoch, size in ((1, (640, 360)), (2, (1280, 720))):
        decoded = decode(epoch_bytes(chunks, epoch), tmp_path, f"epoch{epoch}.webm")
        assert decoded.errors == []
        assert decoded.sizes == {size}
        assert decoded.audio_frames > 0
        assert decoded.first_video == pytest.approx(0.0, abs=1e-6)
        total += decoded.video_frames
    assert total == len(video_after_first_keyframe(switching))
    assert sum(s.duration_s for s in segments) == pytest.approx(4.0, abs=1 / FPS)


def test_rejects_other_video_codecs(source: list[EncodedFrame]) -> None:
    frame = next(f for f in source if f.kind == "video")
    with pytest.raises(ValueError, match="only vp8"):
        WebmSegmenter().push(EncodedFrame("video", "h264", frame.data, 0, 90_000, True, BASE, "c"))
