"""One camera's VP8 (+ Opus) frames -> live WebM init segments, fragments and segments.

FFmpeg's mp4 muxer refuses VP8, so browsers publishing VP8 are recorded as
WebM. PyAV's webm muxer (live mode) writes only the init: EBML header, Segment
of unknown size, Info and Tracks, with the OpusHead, CodecDelay and SeekPreRoll
it derives from an opened libopus encoder. The Clusters are written here: the
muxer cannot be made to start one at each video keyframe once an audio track
exists. A Cluster starts at every video keyframe and whenever the open one
reaches the fragment duration, so every segment starts with a Cluster whose
first block is its keyframe. Blocks are interleaved by timestamp (each stream
waits a little for the other), so a Cluster's block times never go back. Frames
are copied byte for byte, nothing is decoded or encoded. Epochs, segments and
audio alignment are the segment plan's (`recorder.segment_plan`).
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from fractions import Fraction

import av

from recorder import ebml
from recorder.bitstream import vp8_keyframe_size
from recorder.media import EncodedMedia
from recorder.memory_sink import MemorySink
from recorder.segment_plan import AudioFormat, MediaWriter, SegmentPlan, WriterOpening
from storage.archive import MediaKind

_INIT_ELEMENTS = frozenset({ebml.INFO, ebml.TRACKS})
_TRACK_KINDS: dict[int, MediaKind] = {1: "video", 2: "audio"}  # Matroska TrackType
_DEFAULT_TIMESTAMP_SCALE = 1_000_000  # ns per tick when Info does not say
_MAX_RELATIVE = 0x7FFF  # a SimpleBlock's time is a signed 16-bit offset from its Cluster's
# How long (s, of the waiting stream's own time) a stream waits for the other to catch up:
# audio later than that behind video is dropped; audio outlives a stalled camera that long.
_WAIT_S: dict[MediaKind, Fraction] = {"video": Fraction(1, 2), "audio": Fraction(1)}


@dataclass(frozen=True, slots=True)
class Cluster:
    """One complete Cluster, and its time (ticks) if a video keyframe starts it."""

    data: bytes
    video_time: int | None


@dataclass(frozen=True, slots=True)
class _Track:
    number: int
    delay: int  # CodecDelay in ticks: the muxer shifts the track's block times by it


@dataclass(frozen=True, slots=True)
class _Block:
    time: int  # ticks, CodecDelay included
    data: bytes
    keyframe: bool


@dataclass(slots=True)
class _OpenCluster:
    time: int
    keyframe_time: int | None
    blocks: list[bytes] = field(default_factory=list)


def _live_init(width: int, height: int, video_rate: int, audio: AudioFormat | None) -> bytes:
    """What PyAV's webm muxer writes before any packet: the header the Clusters go under."""
    sink = MemorySink()
    container = av.open(sink, "w", format="webm", options={"live": "1", "fflags": "+bitexact"})
    video = container.add_mux_stream("vp8", width=width, height=height)
    video.time_base = Fraction(1, video_rate)
    if audio is not None:
        # An opened libopus encoder only supplies the OpusHead; nothing is encoded.
        rate, stereo = audio
        opus = container.add_stream("libopus", rate=rate, layout="stereo" if stereo else "mono")
        opus.time_base = Fraction(1, rate)
    container.start_encoding()
    container.close()
    return bytes(sink.buffer)


def _split_init(data: bytes) -> tuple[bytes, int, dict[MediaKind, _Track]]:
    """EBML header + Segment (unknown size) + Info + Tracks, the TimestampScale and the tracks."""
    top = list(ebml.iter_elements(data))
    if len(top) < 2 or top[0].id != ebml.EBML or top[1].id != ebml.SEGMENT:
        raise ValueError("muxer did not write an EBML header and a Segment")
    segment = top[1]
    if segment.end is not None:
        raise ValueError("muxer wrote a Segment of known size: not a live stream")
    parts = [data[: segment.payload]]
    scale = _DEFAULT_TIMESTAMP_SCALE
    entries: list[ebml.Element] = []
    for child in ebml.iter_elements(data, segment.payload):
        if child.id in _INIT_ELEMENTS:
            parts.append(data[child.start : child.end])
        if child.id == ebml.INFO:
            for item in ebml.children(data, child):
                if item.id == ebml.TIMESTAMP_SCALE:
                    scale = ebml.read_uint(data, item)
        elif child.id == ebml.TRACKS:
            entries += [e for e in ebml.children(data, child) if e.id == ebml.TRACK_ENTRY]
    tracks: dict[MediaKind, _Track] = {}
    for entry in entries:
        values = {item.id: ebml.read_uint(data, item) for item in ebml.children(data, entry)}
        kind = _TRACK_KINDS.get(values.get(ebml.TRACK_TYPE, 0))
        if kind is not None and ebml.TRACK_NUMBER in values:
            delay = round(Fraction(values.get(ebml.CODEC_DELAY, 0), scale))
            tracks.setdefault(kind, _Track(values[ebml.TRACK_NUMBER], delay))
    if "video" not in tracks:
        raise ValueError("muxer wrote no video track")
    return b"".join(parts), scale, tracks


class WebmWriter:
    """VP8 (+ Opus) packets in, WebM init and Clusters out, all in memory."""

    def __init__(
        self,
        *,
        width: int,
        height: int,
        video_rate: int,
        audio: AudioFormat | None,
        fragment_s: float,
        drops: Counter[str],
    ) -> None:
        self.width: int | None = width
        self.height: int | None = height
        self._init: bytes | None
        self._init, self._scale, self._tracks = _split_init(
            _live_init(width, height, video_rate, audio)
        )
        self._rates: dict[MediaKind, int] = {"video": video_rate}
        if audio is not None:
            self._rates["audio"] = audio[0]
        self._cluster_ticks = min(_MAX_RELATIVE, self._seconds_to_ticks(fragment_s))
        self._waits = {kind: self._seconds_to_ticks(_WAIT_S[kind]) for kind in self._tracks}
        self._queues: dict[MediaKind, deque[_Block]] = {kind: deque() for kind in self._tracks}
        self._drops = drops
        self._cluster: _OpenCluster | None = None
        self._last = 0  # time of the last block written
        self._done: list[Cluster] = []
        self._video_pts: int | None = None
        self._video_delta = video_rate // 30  # spacing of the last two frames; one 30 fps frame

    @property
    def has_audio(self) -> bool:
        return "audio" in self._tracks

    @property
    def codecs(self) -> str:
        return "vp8,opus" if self.has_audio else "vp8"

    def write(self, kind: MediaKind, pts: int, data: bytes, keyframe: bool) -> None:
        """Queue a packet (pts in the stream's clock units), write what interleaving allows."""
        time = self._time(kind, pts)
        if kind == "audio" and time < self._last:
            self._drops["late_audio"] += 1  # behind video already written: out of time order
            return
        if kind == "video":
            if self._video_pts is not None:
                self._video_delta = pts - self._video_pts
            self._video_pts = pts
        self._queues[kind].append(_Block(time, data, keyframe))
        self._interleave(flush=False)

    def video_end(self) -> int:
        """End of the last video frame written (its duration is the spacing before it)."""
        return (self._video_pts or 0) + self._video_delta

    def close(self) -> None:
        """Write every queued block and finish the open Cluster."""
        self._interleave(flush=True)
        self._finish()

    def video_time(self, pts: int) -> int:
        """A video pts (clock units) in Segment ticks, as the Cluster's blocks carry it."""
        return self._time("video", pts)

    def take(self) -> tuple[bytes | None, list[Cluster]]:
        """The init (once) and every Cluster finished since the last call."""
        init, self._init = self._init, None
        done, self._done = self._done, []
        return init, done

    def _seconds_to_ticks(self, seconds: float | Fraction) -> int:
        return round(Fraction(seconds) * 1_000_000_000 / self._scale)

    def _time(self, kind: MediaKind, pts: int) -> int:
        return self._seconds_to_ticks(Fraction(pts, self._rates[kind])) + self._tracks[kind].delay

    def _interleave(self, *, flush: bool) -> None:
        """Write queued blocks earliest first, each once no other stream can still precede it.

        A stream that waited too long goes ahead anyway: audio arriving later behind it is
        dropped (late_audio); video after a long camera stall is written where it falls.
        """
        while True:
            heads = [(q[0].time, kind == "audio", kind) for kind, q in self._queues.items() if q]
            if not heads:
                return
            kind = min(heads)[2]
            queue = self._queues[kind]
            waited = queue[-1].time - queue[0].time
            if not (flush or len(heads) == len(self._queues) or waited > self._waits[kind]):
                return
            self._add(kind, queue.popleft())

    def _add(self, kind: MediaKind, block: _Block) -> None:
        """Append a block, first starting a Cluster at a video keyframe or a full Cluster."""
        cluster = self._cluster
        time = block.time
        starts = kind == "video" and block.keyframe
        if cluster is None or starts or not 0 <= time - cluster.time < self._cluster_ticks:
            self._finish()
            cluster = self._cluster = _OpenCluster(time, time if starts else None)
        number = self._tracks[kind].number
        relative = time - cluster.time
        cluster.blocks.append(ebml.simple_block(number, relative, block.keyframe, block.data))
        self._last = max(self._last, time)

    def _finish(self) -> None:
        cluster, self._cluster = self._cluster, None
        if cluster is not None:
            payload = ebml.uint(ebml.TIMESTAMP, cluster.time) + b"".join(cluster.blocks)
            self._done.append(Cluster(ebml.element(ebml.CLUSTER, payload), cluster.keyframe_time))


class Vp8Webm:
    """VP8 in live WebM: a key frame starts an epoch with its frame size as the parameters."""

    def video_key(self, frame: EncodedMedia) -> tuple[bool, tuple[bytes, ...] | None]:
        if frame.codec != "vp8":
            raise ValueError(f"unsupported video codec {frame.codec!r}: only vp8 is remuxed")
        size = vp8_keyframe_size(frame.data)
        if size is None:
            return False, None
        return True, (b"%dx%d" % size,)

    def new_writer(self, opening: WriterOpening, drops: Counter[str]) -> MediaWriter:
        size = vp8_keyframe_size(opening.first_key)
        assert size is not None, "an epoch starts on a keyframe"
        return WebmWriter(
            width=size[0],
            height=size[1],
            video_rate=opening.video_rate,
            audio=opening.audio,
            fragment_s=opening.fragment_s,
            drops=drops,
        )


class WebmSegmenter(SegmentPlan):
    """Turns one camera's VP8 (+ Opus) frames into WebM; see the module docstring."""

    extension = "webm"

    def __init__(self, *, target_segment_s: float = 2.0, fragment_s: float = 0.5) -> None:
        super().__init__(Vp8Webm(), target_segment_s=target_segment_s, fragment_s=fragment_s)
