"""LL-HLS parts from the recorder's fragments, and blocking playlist reload on them."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import av
import pytest

from court.live.live_hls import blocking_position, live_bytes, low_latency_playlist, part_name
from court.live.live_parts import LiveParts, PartTrack, RecordingParts
from recorder.segment_plan import Chunk, FragmentChunk
from recorder.segmenter import Segmenter
from streaming.hls import render_media_playlist
from tests.support.clips import clip_fixture
from tests.support.encoded import read_clip

clip = clip_fixture("parts.ts", seconds=5, width=320, height=240, fps=30, gop=60)


@pytest.fixture(scope="module")
def chunks(clip: Path) -> list[Chunk]:
    """What the recorder hears from one camera: 2 s segments of 0.4 s fragments."""
    segmenter = Segmenter(target_segment_s=2.0, fragment_s=0.4)
    out: list[Chunk] = []
    for frame in read_clip(clip):
        out += segmenter.push(frame)
    return out


def _feed(chunks: list[Chunk]) -> tuple[LiveParts, RecordingParts, PartTrack]:
    parts = LiveParts(fragment_s=0.4)
    sink = parts.sink("rec")
    for chunk in chunks:
        sink.chunk("bench", chunk)
    track = parts.track("rec", "bench")
    assert track is not None
    return parts, sink, track


def _track(chunks: list[Chunk]) -> PartTrack:
    return _feed(chunks)[2]


def test_the_growing_segment_is_listed_by_parts_and_the_closed_ones_whole(
    chunks: list[Chunk],
) -> None:
    track = _track(chunks)
    playlist = low_latency_playlist(track, lambda name: name, fragment_s=0.4, target_s=2.0)
    text = render_media_playlist(
        playlist.items,
        ended=playlist.ended,
        media_sequence=playlist.media_sequence,
        low_latency=playlist.low_latency,
    )
    lines = text.splitlines()
    assert "#EXT-X-PART-INF:PART-TARGET=0.400" in lines
    assert "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.200" in lines
    assert lines.count("0.m4s") == 1 and lines.count("1.m4s") == 1
    assert '#EXT-X-PART:DURATION=0.40000,URI="2.0.m4s",INDEPENDENT=YES' in lines
    assert '#EXT-X-PART:DURATION=0.40000,URI="2.1.m4s"' in lines
    assert lines[-1] == '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="2.2.m4s"'


def test_parts_concatenated_after_the_init_decode_to_the_segments_frames(
    chunks: list[Chunk],
) -> None:
    track = _track(chunks)
    init = live_bytes(track, "init", 1, 0)
    parts = [live_bytes(track, "part", 0, i) for i in range(5)]
    assert init is not None and all(parts)
    data = init + b"".join(p for p in parts if p)
    assert data == init + (live_bytes(track, "segment", 0, 0) or b"")
    with av.open(io.BytesIO(data), "r") as container:
        frames = sum(1 for _ in container.decode(video=0))
    assert frames == 60  # segment 0: two seconds at 30 fps


async def test_a_parked_reload_is_released_by_the_next_part(chunks: list[Chunk]) -> None:
    fragments = [i for i, c in enumerate(chunks) if isinstance(c, FragmentChunk)]
    cut = fragments[6]  # segment 1 has its first part; its second comes with chunk `cut`
    _, sink, track = _feed(chunks[:cut])
    assert blocking_position(1, 1, track) == (1, 1)
    waiting = asyncio.create_task(track.wait(1, 1, timeout_s=30))
    await asyncio.sleep(0)
    assert not waiting.done()
    sink.chunk("bench", chunks[cut])
    assert await waiting is True


async def test_a_parked_reload_times_out_when_no_part_comes(chunks: list[Chunk]) -> None:
    track = _track(chunks)
    assert await track.wait(2, 3, timeout_s=0.01) is False


def test_a_reload_far_ahead_is_refused(chunks: list[Chunk]) -> None:
    track = _track(chunks)
    assert blocking_position(4, 0, track) == (4, 0)  # two past the last: may wait
    with pytest.raises(ValueError, match="two segments"):
        blocking_position(5, 0, track)
    with pytest.raises(ValueError, match="needs _HLS_msn"):
        blocking_position(None, 1, track)
    assert blocking_position(None, None, track) is None


async def test_stopping_the_recording_releases_every_parked_reload(chunks: list[Chunk]) -> None:
    parts, sink, track = _feed(chunks)
    waiting = asyncio.create_task(track.wait(3, 0, timeout_s=30))
    await asyncio.sleep(0)
    sink.stopped()
    assert await waiting is True
    assert parts.track("rec", "bench") is None


def test_names_under_ll() -> None:
    assert part_name("init-2.mp4") == ("init", 2, 0)
    assert part_name("17.m4s") == ("segment", 17, 0)
    assert part_name("17.3.m4s") == ("part", 17, 3)
    assert part_name("../17.m4s") is None
