"""The segment plan on synthetic timestamps, with a container that writes one fragment per frame.

No muxer runs here: what is checked is where segments are cut, how they are
numbered, when an epoch starts, how audio is aligned and when a keyframe is asked for.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recorder.media import EncodedMedia
from recorder.segment_plan import (
    Chunk,
    FragmentChunk,
    InitChunk,
    SegmentClosed,
    SegmentPlan,
    WriterOpening,
)
from storage.archive import MediaKind
from streaming.frames import EncodedFrame

FPS = 30
VIDEO_RATE = 90_000
AUDIO_RATE = 48_000
BASE = 1_764_000_000.0


@dataclass(frozen=True, slots=True)
class FakeFragment:
    data: bytes
    video_time: int | None


@dataclass
class FakeWriter:
    """Writes each packet at once as a fragment named after it: b"video3000", b"audio960"."""

    has_audio: bool
    width: int | None = None
    height: int | None = None
    codecs: str = "fake"
    writes: list[tuple[MediaKind, int]] = field(default_factory=list)
    _init_taken: bool = False
    _out: list[FakeFragment] = field(default_factory=list)

    def write(self, kind: MediaKind, pts: int, data: bytes, keyframe: bool) -> None:
        self.writes.append((kind, pts))
        self._out.append(
            FakeFragment(b"%s%d" % (kind.encode(), pts), pts if kind == "video" else None)
        )

    def video_end(self) -> int:
        video = [pts for kind, pts in self.writes if kind == "video"]
        return video[-1] + VIDEO_RATE // FPS if video else 0

    def close(self) -> None:
        pass

    def video_time(self, pts: int) -> int:
        return pts

    def take(self) -> tuple[bytes | None, list[FakeFragment]]:
        init = None if self._init_taken else b"init"
        self._init_taken = True
        out, self._out = self._out, []
        return init, out


class FakeFormat:
    """A keyframe's data are its parameters: a keyframe with other data starts an epoch."""

    def __init__(self) -> None:
        self.writers: list[FakeWriter] = []

    def video_key(self, frame: EncodedMedia) -> tuple[bool, tuple[bytes, ...] | None]:
        return frame.keyframe, (frame.data,) if frame.keyframe else None

    def new_writer(self, opening: WriterOpening, drops: Counter[str]) -> FakeWriter:
        self.writers.append(FakeWriter(has_audio=opening.audio is not None))
        return self.writers[-1]


def video(index: int, key: bool, params: bytes = b"A", source: str = "s") -> EncodedFrame:
    """Frame `index` at 30 fps; a keyframe carries `params` as its data."""
    data = params if key else b"p"
    wall = BASE + index / FPS
    return EncodedFrame("video", "fake", data, index * 3000, VIDEO_RATE, key, wall, source)


def audio(seconds: float, pts: int, source: str = "s") -> EncodedFrame:
    return EncodedFrame("audio", "opus", b"\x00", pts, AUDIO_RATE, True, BASE + seconds, source)


def gop_video(
    seconds: float, gop_s: float, start: int = 0, params: bytes = b"A"
) -> list[EncodedFrame]:
    gop = round(gop_s * FPS)
    return [
        video(i, (i - start) % gop == 0, params) for i in range(start, start + round(seconds * FPS))
    ]


def plan(target_s: float = 2.0) -> tuple[SegmentPlan, FakeFormat]:
    container = FakeFormat()
    return SegmentPlan(container, target_segment_s=target_s, fragment_s=0.5), container


def run(segments: SegmentPlan, frames: Iterable[EncodedFrame]) -> list[Chunk]:
    chunks: list[Chunk] = []
    for frame in frames:
        chunks += segments.push(frame)
    return chunks + segments.finish()


def closed(chunks: list[Chunk]) -> list[tuple[int, int, float, int, bool]]:
    return [
        (c.epoch, c.sequence, round(c.duration_s, 6), c.frames, c.discontinuity)
        for c in chunks
        if isinstance(c, SegmentClosed)
    ]


@pytest.mark.parametrize(
    ("gop_s", "target_s", "durations"),
    [
        (1.0, 2.0, [2.0, 2.0, 2.0]),
        (1.0, 1.0, [1.0] * 6),
        (0.7, 2.0, [2.1, 2.1, 1.8]),  # the first keyframe at or after the target cuts
        (2.5, 2.0, [2.5, 2.5, 1.0]),
        (6.0, 2.0, [6.0]),  # no keyframe after the first: one long segment
    ],
)
def test_cuts_at_the_first_keyframe_after_the_target(
    gop_s: float, target_s: float, durations: list[float]
) -> None:
    segments, _ = plan(target_s)
    result = closed(run(segments, gop_video(6.0, gop_s)))
    assert result == [(1, n, d, round(d * FPS), False) for n, d in enumerate(durations, start=1)]


def test_every_fragment_belongs_to_the_segment_open_when_it_was_written() -> None:
    chunks = run(plan()[0], gop_video(4.0, 1.0))
    assert isinstance(chunks[0], InitChunk)
    order = [(c.sequence, c.data) for c in chunks if isinstance(c, FragmentChunk)]
    assert order == [(1 if i < 60 else 2, b"video%d" % (i * 3000)) for i in range(120)]
    sequence_closed = [c.sequence for c in chunks if isinstance(c, SegmentClosed)]
    assert sequence_closed == [1, 2]
    # a segment is closed right after its last fragment, before the next one's first
    first_of_2 = next(
        i for i, c in enumerate(chunks) if isinstance(c, FragmentChunk) and c.sequence == 2
    )
    assert isinstance(chunks[first_of_2 - 1], SegmentClosed)


def test_new_parameters_start_an_epoch_and_numbering_runs_on() -> None:
    frames = gop_video(3.0, 1.0) + gop_video(2.0, 1.0, start=90, params=b"B")
    chunks = run(plan()[0], frames)
    assert [c.epoch for c in chunks if isinstance(c, InitChunk)] == [1, 2]
    assert closed(chunks) == [(1, 1, 2.0, 60, False), (1, 2, 1.0, 30, False), (2, 3, 2.0, 60, True)]
    first_of_epoch_2 = next(c for c in chunks if isinstance(c, FragmentChunk) and c.epoch == 2)
    assert first_of_epoch_2.data == b"video0"  # timestamps restart with the epoch
    assert first_of_epoch_2.started_at == BASE + 3.0


def test_a_new_publication_starts_an_epoch() -> None:
    second = [
        EncodedFrame("video", "fake", f.data, f.pts, VIDEO_RATE, f.keyframe, f.wallclock + 5, "t")
        for f in gop_video(2.0, 1.0)
    ]
    chunks = run(plan()[0], gop_video(2.0, 1.0) + second)
    assert closed(chunks) == [(1, 1, 2.0, 60, False), (2, 2, 2.0, 60, True)]


def test_audio_is_aligned_to_video_by_wall_clock() -> None:
    segments, container = plan()
    frames: list[EncodedFrame] = gop_video(0.5, 1.0)
    frames += [audio(0.5 + 0.02 * i, 777_000 + 960 * i) for i in range(5)]
    run(segments, frames)
    (writer,) = container.writers
    assert writer.has_audio
    assert [pts for kind, pts in writer.writes if kind == "audio"] == [
        24_000 + 960 * i for i in range(5)
    ]


def test_video_goes_alone_after_waiting_a_second_for_audio() -> None:
    segments, container = plan()
    chunks: list[Chunk] = []
    for frame in gop_video(1.0, 1.0):
        chunks += segments.push(frame)
    assert not container.writers and not chunks  # still waiting for audio
    chunks += segments.push(video(30, False))
    assert isinstance(chunks[0], InitChunk) and not container.writers[0].has_audio
    assert len([c for c in chunks if isinstance(c, FragmentChunk)]) == 31


def test_late_audio_asks_for_a_keyframe_that_starts_an_epoch_with_audio() -> None:
    segments, container = plan()
    run_frames = gop_video(1.5, 3.0)
    for frame in run_frames:
        segments.push(frame)
    assert not segments.wants_keyframe
    segments.push(audio(1.5, 0))
    assert segments.wants_keyframe
    assert segments.drops == {"no_audio_track": 1}
    chunks = segments.push(video(45, True))
    assert [c.epoch for c in chunks if isinstance(c, InitChunk)] == [2]
    assert [w.has_audio for w in container.writers] == [False, True]


@pytest.mark.parametrize(
    ("frames", "drops"),
    [
        ([video(0, False)], {"before_keyframe": 1}),
        ([audio(0.0, 0)], {"before_keyframe": 1}),
        ([video(0, True), audio(-0.5, 0)], {"early_audio": 1}),
        ([video(0, True), video(1, False), video(1, False)], {"non_increasing": 1}),
        ([video(0, True), audio(0.1, 4800), audio(0.12, 4800)], {"non_increasing": 1}),
    ],
)
def test_drops_are_counted_by_reason(frames: list[EncodedFrame], drops: dict[str, int]) -> None:
    segments, _ = plan()
    run(segments, frames)
    assert segments.drops == drops


def test_wants_a_keyframe_first_and_when_none_came_for_the_target() -> None:
    segments, _ = plan(target_s=2.0)
    assert segments.wants_keyframe
    segments.push(video(0, True))
    assert not segments.wants_keyframe
    for index in range(1, 61):
        segments.push(video(index, False))
    assert not segments.wants_keyframe  # exactly 2 s since the keyframe
    segments.push(video(61, False))
    assert segments.wants_keyframe


def test_rejects_non_positive_durations_and_other_audio_codecs() -> None:
    with pytest.raises(ValueError, match="must be positive"):
        SegmentPlan(FakeFormat(), target_segment_s=0, fragment_s=0.5)
    segments, _ = plan()
    segments.push(video(0, True))
    with pytest.raises(ValueError, match="only opus"):
        segments.push(EncodedFrame("audio", "aac", b"", 0, AUDIO_RATE, True, BASE, "s"))


@settings(derandomize=True, max_examples=150)
@given(
    gaps=st.lists(st.integers(1, 100), min_size=1, max_size=30),
    target_frames=st.sampled_from([15, 30, 60, 90]),
)
def test_segments_start_at_the_first_keyframe_past_the_target(
    gaps: list[int], target_frames: int
) -> None:
    """Against a reference: cut where a keyframe is at least the target past the segment start."""
    keys = [sum(gaps[:i]) for i in range(len(gaps))]
    total = keys[-1] + gaps[-1]
    starts: list[int] = []
    for key in keys:
        if not starts or key - starts[-1] >= target_frames:
            starts.append(key)
    expected = list(zip(starts, [*starts[1:], total], strict=True))
    segments, _ = plan(target_s=target_frames / FPS)
    key_set = set(keys)
    result = closed(run(segments, [video(i, i in key_set) for i in range(total)]))
    assert [sequence for _, sequence, *_ in result] == list(range(1, len(expected) + 1))
    assert [(frames, duration) for _, _, duration, frames, _ in result] == [
        (end - start, round((end - start) / FPS, 6)) for start, end in expected
    ]
