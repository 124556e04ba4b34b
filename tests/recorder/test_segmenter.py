"""The segmenter, checked the way a user would: write the chunks out and decode them with PyAV."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import av
import av.logging
import pytest

from recorder import isobmff
from recorder.bitstream import annexb_nal_units
from recorder.segment_plan import Chunk, FragmentChunk, InitChunk, SegmentClosed
from recorder.segmenter import H264Fmp4, Segmenter
from streaming.frames import EncodedFrame
from tests.support.clips import make_clip
from tests.support.encoded import (
    annexb_units,
    length_prefixed_units,
    read_clip,
    slice_units,
)

FPS = 30


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> list[EncodedFrame]:
    """7 s at 320x240, a keyframe every 2 s (GOP 60 at 30 fps)."""
    path = make_clip(tmp_path_factory.mktemp("clip") / "c.ts", seconds=7, width=320, height=240)
    return read_clip(path)


@pytest.fixture(scope="module")
def switching_clip(tmp_path_factory: pytest.TempPathFactory) -> list[EncodedFrame]:
    path = make_clip(
        tmp_path_factory.mktemp("switch") / "s.ts",
        seconds=6,
        width=640,
        height=360,
        resolution_change_at=3.0,
        second_size=(1280, 720),
    )
    return read_clip(path)


@pytest.fixture(autouse=True)
def ffmpeg_logging() -> Iterator[None]:
    """PyAV's logging is off by default: turn it on so Capture sees decoder complaints."""
    av.logging.set_level(av.logging.WARNING)
    yield
    av.logging.set_level(None)


@dataclass
class Decoded:
    video_frames: int = 0
    audio_frames: int = 0
    sizes: set[tuple[int, int]] = field(default_factory=set)
    first_video: float | None = None
    first_audio: float | None = None
    video_samples: list[bytes] = field(default_factory=list)
    keyframes: list[bool] = field(default_factory=list)
    dts: dict[str, list[int]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def run(segmenter: Segmenter, frames: list[EncodedFrame]) -> list[Chunk]:
    chunks: list[Chunk] = []
    for frame in frames:
        chunks += segmenter.push(frame)
    return chunks + segmenter.finish()


def epoch_bytes(chunks: list[Chunk], epoch: int) -> bytes:
    """What a user would write to one file: the epoch's init then its fragments."""
    parts = [
        c.data for c in chunks if isinstance(c, InitChunk | FragmentChunk) and c.epoch == epoch
    ]
    return b"".join(parts)


def decode(data: bytes, tmp_path: Path, name: str = "out.mp4") -> Decoded:
    """Write the bytes to a file and decode every packet, collecting FFmpeg errors."""
    path = tmp_path / name
    path.write_bytes(data)
    result = Decoded()
    with av.logging.Capture(local=False) as logs, av.open(str(path)) as container:
        for packet in container.demux():
            if packet.size == 0:
                continue
            kind = packet.stream.type
            assert packet.dts is not None
            result.dts.setdefault(kind, []).append(packet.dts)
            if kind == "video":
                result.video_samples.append(bytes(packet))
                result.keyframes.append(bool(packet.is_keyframe))
            try:
                decoded = packet.decode()
            except av.error.FFmpegError as error:
                result.errors.append(str(error))
                continue
            for frame in decoded:
                time = float(frame.time) if frame.time is not None else None
                if isinstance(frame, av.VideoFrame):
                    result.video_frames += 1
                    result.sizes.add((frame.width, frame.height))
                    if result.first_video is None:
                        result.first_video = time
                else:
                    result.audio_frames += 1
                    if result.first_audio is None:
                        result.first_audio = time
    result.errors += [m for level, _, m in logs if level <= av.logging.ERROR]
    return result


def video_after_first_keyframe(frames: list[EncodedFrame]) -> list[EncodedFrame]:
    video = [f for f in frames if f.kind == "video"]
    first = next(i for i, f in enumerate(video) if f.keyframe)
    return video[first:]


def closed(chunks: list[Chunk]) -> list[SegmentClosed]:
    return [c for c in chunks if isinstance(c, SegmentClosed)]


def segment_bytes(chunks: list[Chunk], sequence: int) -> tuple[InitChunk, bytes]:
    fragments = [c for c in chunks if isinstance(c, FragmentChunk) and c.sequence == sequence]
    init = next(c for c in chunks if isinstance(c, InitChunk) and c.epoch == fragments[0].epoch)
    return init, b"".join(c.data for c in fragments)


def test_one_epoch_decodes_every_pushed_frame(clip: list[EncodedFrame], tmp_path: Path) -> None:
    chunks = run(Segmenter(), clip)
    inits = [c for c in chunks if isinstance(c, InitChunk)]
    assert len(inits) == 1
    sps = next(u for u in annexb_nal_units(clip[1].data) if u[0] & 0x1F == 7)
    assert inits[0].codecs == f"avc1.{sps[1:4].hex()},opus"
    assert (inits[0].width, inits[0].height) == (320, 240)
    decoded = decode(epoch_bytes(chunks, 1), tmp_path)
    assert decoded.errors == []
    assert decoded.video_frames == len(video_after_first_keyframe(clip))
    assert decoded.sizes == {(320, 240)}


def test_init_is_ftyp_moov_and_fragments_are_moof_mdat(clip: list[EncodedFrame]) -> None:
    chunks = run(Segmenter(), clip)
    init = next(c for c in chunks if isinstance(c, InitChunk))
    assert [b.type for b in isobmff.iter_boxes(init.data)] == ["ftyp", "moov"]
    record = isobmff.avc_configuration(init.data)
    sps = next(u for u in annexb_nal_units(clip[1].data) if u[0] & 0x1F == 7)
    assert record[1:4] == sps[1:4]
    for chunk in chunks:
        if isinstance(chunk, FragmentChunk):
            assert [b.type for b in isobmff.iter_boxes(chunk.data)] == ["moof", "mdat"]


def test_every_segment_starts_with_a_keyframe(clip: list[EncodedFrame], tmp_path: Path) -> None:
    chunks = run(Segmenter(), clip)
    segments = closed(chunks)
    assert len(segments) == 4  # 7 s with keyframes every 2 s
    for segment in segments:
        init, data = segment_bytes(chunks, segment.sequence)
        decoded = decode(init.data + data, tmp_path, f"seg{segment.sequence}.mp4")
        assert decoded.errors == []
        assert decoded.keyframes[0]
        assert slice_units(length_prefixed_units(decoded.video_samples[0]))[0][0] & 0x1F == 5
        assert decoded.video_frames == segment.frames


def test_video_samples_are_byte_identical(clip: list[EncodedFrame], tmp_path: Path) -> None:
    chunks = run(Segmenter(), clip)
    decoded = decode(epoch_bytes(chunks, 1), tmp_path)
    pushed = [slice_units(annexb_units(f.data)) for f in video_after_first_keyframe(clip)]
    written = [slice_units(length_prefixed_units(s)) for s in decoded.video_samples]
    assert written == pushed


def test_output_dts_strictly_increase(clip: list[EncodedFrame], tmp_path: Path) -> None:
    duplicated: list[EncodedFrame] = []
    for frame in clip:
        duplicated.append(frame)
        if frame.kind == "video" and frame.pts % 7 == 0:
            duplicated.append(frame)  # a retransmitted duplicate
    segmenter = Segmenter()
    chunks = run(segmenter, duplicated)
    assert segmenter.drops.get("non_increasing", 0) == len(duplicated) - len(clip)
    decoded = decode(epoch_bytes(chunks, 1), tmp_path)
    assert set(decoded.dts) == {"video", "audio"}
    for values in decoded.dts.values():
        assert all(a < b for a, b in itertools.pairwise(values))
    assert decoded.video_frames == len(video_after_first_keyframe(clip))


def test_segment_durations_follow_keyframes(clip: list[EncodedFrame]) -> None:
    chunks = run(Segmenter(target_segment_s=2.0), clip)
    segments = closed(chunks)
    video = video_after_first_keyframe(clip)
    keyframes = [f for f in video if f.keyframe]
    assert [s.sequence for s in segments] == [1, 2, 3, 4]
    assert [s.started_at for s in segments] == [f.wallclock for f in keyframes]
    for segment in segments[:-1]:
        assert segment.duration_s == pytest.approx(2.0, abs=0.5 / FPS)
    assert sum(s.frames for s in segments) == len(video)
    assert sum(s.duration_s for s in segments) == pytest.approx(len(video) / FPS, abs=1 / FPS)
    assert not any(s.discontinuity for s in segments)


def test_fragments_come_before_their_segment_closes(clip: list[EncodedFrame]) -> None:
    chunks = run(Segmenter(fragment_s=0.5), clip)
    closed_so_far: set[int] = set()
    per_segment: dict[int, int] = {}
    for chunk in chunks:
        if isinstance(chunk, FragmentChunk):
            assert chunk.sequence not in closed_so_far
            assert all(chunk.sequence > s for s in closed_so_far)
            per_segment[chunk.sequence] = per_segment.get(chunk.sequence, 0) + 1
        elif isinstance(chunk, SegmentClosed):
            closed_so_far.add(chunk.sequence)
    assert closed_so_far == set(per_segment)
    assert per_segment[1] >= 3  # 2 s segments in about 0.5 s fragments


def test_longer_target_cuts_on_a_later_keyframe(clip: list[EncodedFrame]) -> None:
    segments = closed(run(Segmenter(target_segment_s=3.0), clip))
    assert [round(s.duration_s, 3) for s in segments[:-1]] == [4.0]


def test_audio_is_present_and_aligned(clip: list[EncodedFrame], tmp_path: Path) -> None:
    decoded = decode(epoch_bytes(run(Segmenter(), clip), 1), tmp_path)
    assert decoded.audio_frames > 6.5 * 50 * 0.95
    assert decoded.first_audio is not None and decoded.first_video is not None
    assert abs(decoded.first_audio - decoded.first_video) < 0.030


def test_late_audio_is_placed_by_wall_clock(clip: list[EncodedFrame], tmp_path: Path) -> None:
    """Audio whose first packet comes 0.5 s after the first keyframe starts 0.5 s in."""
    start = clip[0].wallclock + 0.5
    late = [f for f in clip if f.kind == "video" or f.wallclock >= start]
    decoded = decode(epoch_bytes(run(Segmenter(), late), 1), tmp_path)
    assert decoded.errors == []
    assert decoded.first_audio is not None and decoded.first_video is not None
    assert decoded.first_audio - decoded.first_video == pytest.approx(0.5, abs=0.030)


def test_audio_that_starts_after_the_wait_gets_an_epoch_at_the_next_keyframe(
    clip: list[EncodedFrame], tmp_path: Path
) -> None:
    """A microphone that comes up 3 s late is recorded from the next keyframe on, not lost."""
    start = clip[0].wallclock + 3.0
    late = [f for f in clip if f.kind == "video" or f.wallclock >= start]
    segmenter = Segmenter()
    chunks = run(segmenter, late)
    inits = [c for c in chunks if isinstance(c, InitChunk)]
    assert ["opus" in init.codecs for init in inits] == [False, True]
    with_audio = decode(epoch_bytes(chunks, 2), tmp_path)
    assert with_audio.errors == []
    last_audio_second = max(f.wallclock for f in late if f.kind == "audio")
    assert with_audio.audio_frames >= (last_audio_second - start - 2.1) * 50  # at most a GOP lost
    assert segmenter.drops["no_audio_track"] <= 2 * 50 + 1


def test_frames_before_the_first_keyframe_are_dropped(
    clip: list[EncodedFrame], tmp_path: Path
) -> None:
    video = [f for f in clip if f.kind == "video"]
    join = video[10].wallclock  # join mid-GOP: the next keyframe is at 2 s
    late = [f for f in clip if f.wallclock >= join]
    segmenter = Segmenter()
    chunks = run(segmenter, late)
    expected = video_after_first_keyframe([f for f in late if f.wallclock >= video[60].wallclock])
    decoded = decode(epoch_bytes(chunks, 1), tmp_path)
    assert decoded.errors == []
    assert decoded.video_frames == len(expected)
    assert segmenter.drops["before_keyframe"] == sum(
        1 for f in late if f.wallclock < video[60].wallclock
    )
    assert closed(chunks)[0].started_at == video[60].wallclock


def test_resolution_change_starts_a_new_epoch(
    switching_clip: list[EncodedFrame], tmp_path: Path
) -> None:
    chunks = run(Segmenter(), switching_clip)
    inits = [c for c in chunks if isinstance(c, InitChunk)]
    assert [(i.epoch, i.width, i.height) for i in inits] == [(1, 640, 360), (2, 1280, 720)]
    segments = closed(chunks)
    first_of_2 = next(s for s in segments if s.epoch == 2)
    assert first_of_2.discontinuity
    assert [s.discontinuity for s in segments].count(True) == 1
    assert [s.sequence for s in segments] == list(range(1, len(segments) + 1))
    total = 0
    for epoch, size in ((1, (640, 360)), (2, (1280, 720))):
        decoded = decode(epoch_bytes(chunks, epoch), tmp_path, f"epoch{epoch}.mp4")
        assert decoded.errors == []
        assert decoded.sizes == {size}
        assert decoded.audio_frames > 0
        total += decoded.video_frames
    assert total == len(video_after_first_keyframe(switching_clip))


def test_source_change_starts_a_new_epoch(clip: list[EncodedFrame], tmp_path: Path) -> None:
    """The publisher reconnects at the 4 s keyframe: its timestamps restart from 0."""
    video = [f for f in clip if f.kind == "video"]
    cut = video[120].wallclock
    first = [f for f in clip if f.wallclock < cut]
    rest = [f for f in clip if f.wallclock >= cut]
    origin = {kind: next(f.pts for f in rest if f.kind == kind) for kind in ("video", "audio")}
    second = [f._replace(source_id="cam-1b", pts=f.pts - origin[f.kind]) for f in rest]
    chunks = run(Segmenter(), first + second)
    inits = [c for c in chunks if isinstance(c, InitChunk)]
    assert [i.epoch for i in inits] == [1, 2]
    assert inits[0].data == inits[1].data  # same camera settings, new timeline
    segments = closed(chunks)
    assert [(s.epoch, s.discontinuity) for s in segments] == [
        (1, False),
        (1, False),
        (2, True),
        (2, False),
    ]
    for epoch, expected in ((1, 120), (2, len(video) - 120)):
        decoded = decode(epoch_bytes(chunks, epoch), tmp_path, f"e{epoch}.mp4")
        assert decoded.errors == []
        assert decoded.video_frames == expected
        assert decoded.first_video == pytest.approx(0.0, abs=1e-6)


def test_wants_keyframe_when_keyframes_stop(clip: list[EncodedFrame]) -> None:
    segmenter = Segmenter(target_segment_s=2.0)
    assert segmenter.wants_keyframe
    video = [f for f in clip if f.kind == "video"]
    segmenter.push(video[0])
    assert not segmenter.wants_keyframe
    # the camera keeps sending P-frames only: keyframes at 2 s and 4 s go missing
    for frame in video[1:60]:
        segmenter.push(frame)
    assert not segmenter.wants_keyframe
    wanted_at = None
    for frame in video[61:120]:
        segmenter.push(frame)
        if wanted_at is None and segmenter.wants_keyframe:
            wanted_at = frame.wallclock - video[0].wallclock
    assert wanted_at is not None and 2.0 < wanted_at <= 2.0 + 1.5 / FPS
    segmenter.push(video[120])  # a keyframe arrives
    assert not segmenter.wants_keyframe
    segmenter.finish()


def test_wants_keyframe_before_any_keyframe(clip: list[EncodedFrame]) -> None:
    segmenter = Segmenter()
    video = [f for f in clip if f.kind == "video"]
    assert segmenter.push(video[5]) == []
    assert segmenter.wants_keyframe
    assert segmenter.finish() == []


def test_video_only_input(clip: list[EncodedFrame], tmp_path: Path) -> None:
    chunks = run(Segmenter(), [f for f in clip if f.kind == "video"])
    init = next(c for c in chunks if isinstance(c, InitChunk))
    assert init.codecs.startswith("avc1.") and "opus" not in init.codecs
    decoded = decode(epoch_bytes(chunks, 1), tmp_path)
    assert decoded.errors == []
    assert decoded.audio_frames == 0
    assert decoded.video_frames == len(video_after_first_keyframe(clip))


def test_box_parser_waits_for_complete_boxes_and_rejects_bad_sizes() -> None:
    ftyp = (16).to_bytes(4, "big") + b"ftyp" + b"cmfc" + bytes(4)
    assert [b.type for b in isobmff.iter_boxes(ftyp + ftyp[:10])] == ["ftyp"]
    assert isobmff.parse_header(ftyp[:12], 0, 12) is None
    with pytest.raises(ValueError, match="smaller than its header"):
        isobmff.parse_header((4).to_bytes(4, "big") + b"moof", 0, 8)
    with pytest.raises(ValueError, match="end of file"):
        isobmff.parse_header(bytes(4) + b"mdat", 0, 8)


def test_video_key_reads_parameter_sets_of_idr_pictures_only(clip: list[EncodedFrame]) -> None:
    """An SPS takes effect only at an IDR picture: a P frame that repeats it opens nothing."""
    kind = H264Fmp4()
    idr = next(frame for frame in clip if frame.kind == "video" and frame.keyframe)
    params = tuple(u for u in annexb_nal_units(idr.data) if u[0] & 0x1F in (7, 8))
    assert [u[0] & 0x1F for u in params] == [7, 8]
    assert kind.video_key(idr) == (True, params)
    other = next(frame for frame in clip if frame.kind == "video" and not frame.keyframe)
    assert kind.video_key(other) == (False, None)
    repeated = other._replace(data=b"\x00\x00\x00\x01" + params[0] + other.data)
    assert kind.video_key(repeated) == (False, None)
