"""The box readers crash recovery relies on, checked against what the fMP4 writer produced."""

from __future__ import annotations

import pytest

from recorder.isobmff import complete_length, video_timing, video_track_of
from recorder.segmenter import Segmenter
from streaming.frames import EncodedFrame
from tests.recorder.test_segmenter import clip, closed, ffmpeg_logging, run, segment_bytes

__all__ = ["clip", "ffmpeg_logging"]  # the fixtures this module borrows


def test_a_segment_reads_back_its_frames_and_duration(clip: list[EncodedFrame]) -> None:
    chunks = run(Segmenter(), clip)
    for segment in closed(chunks):
        init, data = segment_bytes(chunks, segment.sequence)
        track_id, timescale = video_track_of(init.data)
        frames, duration = video_timing(data, track_id, timescale)
        assert frames == segment.frames
        assert duration == pytest.approx(segment.duration_s, abs=1e-6)


def test_a_partial_segment_keeps_only_whole_fragments(clip: list[EncodedFrame]) -> None:
    chunks = run(Segmenter(fragment_s=0.5), clip)
    first = closed(chunks)[0]
    _, data = segment_bytes(chunks, first.sequence)
    assert complete_length(data) == len(data)
    for cut in (len(data) - 1, len(data) // 2, 7):
        kept = complete_length(data[:cut])
        assert kept < cut and complete_length(data[:kept]) == kept
    assert complete_length(b"") == 0
