"""One camera's VP8 (+ Opus) frames -> live WebM init segments, fragments and segments.

FFmpeg's mp4 muxer refuses VP8, so browsers publishing VP8 are recorded as
WebM: PyAV's webm muxer in live mode on a memory sink, its output split at
Cluster boundaries. Frames are copied byte for byte, nothing is decoded or
encoded. Epochs, segments and audio alignment are the Segmenter's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import av

from recorder import ebml, fmp4
from recorder.media import EncodedMedia
from recorder.segmenter import InitChunk, MediaWriter, Segmenter, WrittenFragment, _Epoch

_VP8_START_CODE = b"\x9d\x01\x2a"
# One block per Cluster: a keyframe then always begins a Cluster, so every segment can start
# with one (the muxer's dash mode, which cuts at keyframes, accepts a single track only).
_CLUSTER_SIZE_LIMIT = "0"
_MAX_INTERLEAVE_US = "100000"  # a stalled audio track holds video back at most 0.1 s
_INIT_ELEMENTS = frozenset({ebml.INFO, ebml.TRACKS})


def vp8_keyframe_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a VP8 keyframe (RFC 6386 9.1), None for an interframe."""
    if len(data) < 10 or data[0] & 0x01:
        return None
    if data[3:6] != _VP8_START_CODE:
        raise ValueError("VP8 keyframe without its start code")
    width = int.from_bytes(data[6:8], "little") & 0x3FFF
    height = int.from_bytes(data[8:10], "little") & 0x3FFF
    return width, height


@dataclass(frozen=True, slots=True)
class Cluster:
    """One complete Cluster, and the time (ms) of its first block if that is a video keyframe."""

    data: bytes
    keyframe_time: int | None


class WebmWriter(fmp4.FragmentedMp4Writer):
    """VP8 (+ Opus) packets in, WebM init and Clusters out, all in memory.

    Shares the mp4 writer's packet handling (each packet held until the next of
    its stream gives its duration); only the container and the output split differ.
    """

    def __init__(
        self, *, width: int, height: int, video_rate: int, audio: tuple[int, bool] | None
    ) -> None:
        # Not super().__init__(): that opens an mp4 muxer; the attributes it sets are set here.
        self._rates = {"video": video_rate}
        self._sink = fmp4._Sink()
        self._held = {}
        self._delta = {}
        self._init: bytes | None = None
        self._container = av.open(
            self._sink,
            "w",
            format="webm",
            options={
                "live": "1",
                "cluster_size_limit": _CLUSTER_SIZE_LIMIT,
                "max_interleave_delta": _MAX_INTERLEAVE_US,
                "fflags": "+bitexact",
            },
        )
        video = self._container.add_mux_stream("vp8", width=width, height=height)
        video.time_base = Fraction(1, video_rate)
        self.width: int | None = width
        self.height: int | None = height
        self.video_track = video.index + 1  # the muxer numbers tracks from 1 in stream order
        self._streams = {"video": video}
        if audio is not None:
            # An opened libopus encoder only supplies the OpusHead; nothing is encoded.
            rate, stereo = audio
            opus = self._container.add_stream(
                "libopus", rate=rate, layout="stereo" if stereo else "mono"
            )
            opus.time_base = Fraction(1, rate)
            self._streams["audio"] = opus
            self._rates["audio"] = rate
        self._container.start_encoding()

    def take(self) -> tuple[bytes | None, Sequence[Cluster]]:  # type: ignore[override]
        """The init (once, when the first Cluster shows its end) and every complete Cluster."""
        data = self._sink.buffer
        init: bytes | None = None
        consumed = 0
        if self._init is None:
            split = self._split_init(data)
            if split is None:
                return None, []
            init, consumed = split
            self._init = init
        clusters: list[Cluster] = []
        for element in ebml.iter_elements(data, consumed):
            if element.end is None:
                raise ValueError("muxer wrote an element of unknown size inside the Segment")
            if element.id == ebml.CLUSTER:
                clusters.append(self._cluster(data, element))
            consumed = element.end  # anything else after the init (Cues, Tags) is left out
        del data[:consumed]
        return init, clusters

    def _split_init(self, data: bytearray) -> tuple[bytes, int] | None:
        """EBML header + Segment (unknown size) + Info + Tracks, and where Clusters begin."""
        top = list(ebml.iter_elements(data))
        if len(top) < 2 or top[0].id != ebml.EBML or top[1].id != ebml.SEGMENT:
            return None
        segment = top[1]
        if segment.end is not None:
            raise ValueError("muxer wrote a Segment of known size: not a live stream")
        parts = [bytes(data[: segment.payload])]
        for child in ebml.iter_elements(data, segment.payload):
            if child.id == ebml.CLUSTER:
                return b"".join(parts), child.start
            assert child.end is not None
            if child.id in _INIT_ELEMENTS:
                parts.append(bytes(data[child.start : child.end]))
        return None

    def _cluster(self, data: bytearray, cluster: ebml.Element) -> Cluster:
        """The Cluster, with its start time if its first block is a video keyframe."""
        timestamp = 0
        for child in ebml.iter_elements(data, cluster.payload, cluster.end):
            if child.id == ebml.TIMESTAMP:
                timestamp = ebml.read_uint(data, child)
            elif child.id == ebml.SIMPLE_BLOCK:
                track = ebml.read_vint(data, child.payload, len(data))
                assert track is not None
                number, length = track
                at = child.payload + length
                relative = int.from_bytes(data[at : at + 2], "big", signed=True)
                keyframe = number == self.video_track and bool(data[at + 2] & 0x80)
                return Cluster(
                    bytes(data[cluster.start : cluster.end]),
                    timestamp + relative if keyframe else None,
                )
        return Cluster(bytes(data[cluster.start : cluster.end]), None)


class WebmSegmenter(Segmenter):
    """Turns one camera's VP8 (+ Opus) frames into WebM; see the module docstring."""

    extension = "webm"

    def _video_key(self, frame: EncodedMedia) -> tuple[bool, tuple[bytes, ...] | None]:
        """A VP8 keyframe starts an epoch with its frame size as the parameters."""
        if frame.codec != "vp8":
            raise ValueError(f"unsupported video codec {frame.codec!r}: only vp8 is remuxed")
        size = vp8_keyframe_size(frame.data)
        if size is None:
            return False, None
        return True, (b"%dx%d" % size,)

    def _new_writer(self, epoch: _Epoch, audio: tuple[int, bool] | None) -> MediaWriter:
        size = vp8_keyframe_size(epoch.first_key)
        assert size is not None, "an epoch starts on a keyframe"
        return WebmWriter(width=size[0], height=size[1], video_rate=epoch.video_rate, audio=audio)

    def _fragment_time(self, writer: MediaWriter, fragment: WrittenFragment) -> int | None:
        assert isinstance(fragment, Cluster)
        return fragment.keyframe_time

    def _init_chunk(self, epoch: _Epoch, writer: MediaWriter, init: bytes) -> InitChunk:
        codecs = "vp8,opus" if writer.has_audio else "vp8"
        return InitChunk(epoch.number, init, codecs, writer.width, writer.height)
