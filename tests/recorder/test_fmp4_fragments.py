"""How the fMP4 writer cuts fragments, read back from the boxes it wrote: both tracks of a
fragment start together, no fragment outgrows its duration, a stalled video holds the audio
back only so long, and every audio packet is in exactly one fragment."""

from __future__ import annotations

import itertools
import struct

import pytest

from recorder import isobmff
from recorder.segment_plan import Chunk, FragmentChunk, InitChunk
from recorder.segmenter import Segmenter
from streaming.frames import EncodedFrame
from tests.support.clips import make_clip
from tests.support.encoded import read_clip

VIDEO_RATE, AUDIO_RATE = 90_000, 48_000
FRAGMENT_S, GOP_S = 0.4, 2.0
AUDIO_PACKET_S = 0.020


AUDIO_AHEAD_S = 0.040  # audio packets overtake video frames (a frame is many packets)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> list[EncodedFrame]:
    """5 s at 320x240 with Opus, a keyframe every 2 s; each audio packet arrives 40 ms before
    the video frame captured with it, so audio from after a keyframe reaches the writer
    before the keyframe does (a video frame is held until the next one gives its duration)."""
    path = make_clip(tmp_path_factory.mktemp("clip") / "c.ts", seconds=5, width=320, height=240)
    frames = read_clip(path)
    return sorted(frames, key=lambda f: f.wallclock - (AUDIO_AHEAD_S if f.kind == "audio" else 0))


def decode_times(fragment: bytes) -> dict[int, int]:
    """Each track fragment's baseMediaDecodeTime (its tfdt, 64-bit as written), by track id."""
    times: dict[int, int] = {}
    for traf in isobmff.find_path(fragment, "moof/traf"):
        tfhd = isobmff.find_path(fragment, "tfhd", traf.payload, traf.end)[0]
        tfdt = isobmff.find_path(fragment, "tfdt", traf.payload, traf.end)[0]
        assert fragment[tfdt.payload] == 1  # version 1
        (track,) = struct.unpack_from(">I", fragment, tfhd.payload + 4)
        (times[track],) = struct.unpack_from(">Q", fragment, tfdt.payload + 4)
    return times


class Track:
    """One track of one fragment: where it starts and how long it lasts, in seconds."""

    def __init__(self, fragment: bytes, track_id: int, rate: int) -> None:
        times = decode_times(fragment)
        self.present = track_id in times
        self.samples, self.length_s = isobmff.video_timing(fragment, track_id, rate)
        self.start_s = times.get(track_id, 0) / rate

    @property
    def end_s(self) -> float:
        return self.start_s + self.length_s


def tracks(chunks: list[Chunk]) -> list[tuple[Track, Track]]:
    """(video, audio) of every fragment, in order."""
    init = next(c for c in chunks if isinstance(c, InitChunk))
    handlers = isobmff.track_handlers(init.data)
    return [
        (
            Track(chunk.data, handlers["vide"], VIDEO_RATE),
            Track(chunk.data, handlers["soun"], AUDIO_RATE),
        )
        for chunk in chunks
        if isinstance(chunk, FragmentChunk)
    ]


def recorded(frames: list[EncodedFrame]) -> list[Chunk]:
    segmenter = Segmenter(target_segment_s=GOP_S, fragment_s=FRAGMENT_S)
    chunks: list[Chunk] = []
    for frame in frames:
        chunks += segmenter.push(frame)
    return chunks + segmenter.finish()


def test_both_tracks_of_every_fragment_start_together_every_0_4_s(
    clip: list[EncodedFrame],
) -> None:
    """The video cuts at 0, 0.4, ... 4.8 s (keyframes at 2 and 4 s fall on the grid), and each
    fragment's audio starts within one packet after its video, however early it came."""
    fragments = tracks(recorded(clip))
    assert [round(video.start_s, 4) for video, _ in fragments] == [
        round(n * FRAGMENT_S, 4) for n in range(13)
    ]
    for video, audio in fragments[1:]:  # the first's audio began after its first keyframe
        assert video.start_s <= audio.start_s < video.start_s + AUDIO_PACKET_S


def test_no_fragment_outgrows_its_duration(clip: list[EncodedFrame]) -> None:
    for video, audio in tracks(recorded(clip)):
        assert video.length_s <= FRAGMENT_S + 1e-9
        assert audio.length_s <= FRAGMENT_S + AUDIO_PACKET_S + 1e-9


def test_audio_is_not_held_back_by_a_stalled_video(clip: list[EncodedFrame]) -> None:
    """No video from 2.5 s to the keyframe at 4 s: the audio meanwhile is cut on its own,
    at most two fragment durations at a time."""
    start = clip[0].wallclock
    stalled = [f for f in clip if f.kind == "audio" or not 2.5 <= f.wallclock - start < 4.0]
    fragments = tracks(recorded(stalled))
    alone = [audio for video, audio in fragments if not video.present]
    assert len(alone) >= 1
    assert all(audio.length_s <= 2 * FRAGMENT_S + AUDIO_PACKET_S + 1e-9 for audio in alone)
    assert max(audio.length_s for _, audio in fragments) > FRAGMENT_S  # waited for the video


def test_every_audio_packet_is_in_one_fragment_in_order(clip: list[EncodedFrame]) -> None:
    first_key = next(i for i, f in enumerate(clip) if f.kind == "video" and f.keyframe)
    audio_sent = [f for f in clip[first_key:] if f.kind == "audio"]
    fragments = tracks(recorded(clip))
    audio = [a for _, a in fragments if a.present]
    assert sum(a.samples for a in audio) == len(audio_sent)
    for before, after in itertools.pairwise(audio):
        assert before.end_s == pytest.approx(after.start_s, abs=1e-9)  # no gap, no overlap
