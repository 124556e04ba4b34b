"""Fragmented MP4 (ISO/IEC 14496-12, CMAF) writer: PyAV writes the init, the fragments are ours.

PyAV's mp4 muxer writes each epoch's `ftyp`+`moov` once: the avcC from the stream's own
SPS/PPS, the OpusHead of an opened libopus encoder (nothing is encoded). The fragments are
gathered per track and packed here (`recorder.fmp4_fragment`): the muxer's per-packet path
(a Packet, its interleaver, a Python write callback, and reading its output back) was most of
the recorder's cost per frame. Packets are copied as they are: nothing is decoded or encoded.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from fractions import Fraction

import av

from recorder.bitstream import (
    NAL_SPS,
    annexb_nal_units,
    avc_codec_string,
    length_prefixed,
    nal_type,
)
from recorder.fmp4_fragment import TrackRun, pack_fragment
from recorder.isobmff import avc_configuration, track_handlers, track_timescale
from recorder.memory_sink import MemorySink
from storage.archive import MediaKind

# Only the init is the muxer's: it is written when the container starts, before any packet.
_MOVFLAGS = "cmaf+frag_keyframe+empty_moov+default_base_moof+skip_trailer"


@dataclass(frozen=True, slots=True)
class Fragment:
    """One moof+mdat. `video_time` is the video track's tfdt, None in a fragment without video."""

    data: bytes
    video_time: int | None


@dataclass(slots=True)
class _Held:
    """The last packet of a stream, kept until the next one gives its duration."""

    data: bytes
    pts: int
    keyframe: bool


class FragmentedMp4Writer:
    """H.264 (+ Opus) packets in, init segment and fragments out, all in memory.

    The video cuts the fragments: before each keyframe, and before the sample that would
    make them span more than the fragment duration; the audio from that moment on goes with
    the next one, so both tracks of a fragment (and a segment) start together, however the
    packets were interleaved. Audio cuts alone only when the video stalls. Each packet is
    held until the next one of its stream arrives, so every sample gets its true duration.
    """

    def __init__(
        self,
        *,
        first_idr: bytes,
        video_rate: int,
        audio_rate: int | None,
        audio_stereo: bool,
        fragment_s: float,
    ) -> None:
        self._rates: dict[MediaKind, int] = {"video": video_rate}
        if audio_rate is not None:
            self._rates["audio"] = audio_rate
        self._sps = next(u for u in annexb_nal_units(first_idr) if nal_type(u) == NAL_SPS)
        init, self.width, self.height = _init_segment(first_idr, self._rates, audio_stereo)
        self._init: bytes | None = init
        self._codecs = self._checked_codecs(init)
        handlers = track_handlers(init)
        self._runs: dict[MediaKind, TrackRun] = {}
        for kind, handler in (("video", "vide"), ("audio", "soun")):
            if kind in self._rates:
                track, rate = handlers[handler], self._rates[kind]
                if (timescale := track_timescale(init, track)) != rate:  # tfdt would be off
                    raise ValueError(f"the muxer gave the {kind} track {timescale} Hz, not {rate}")
                self._runs[kind] = TrackRun(track, rate)
        self._span = {kind: max(1, round(fragment_s * rate)) for kind, rate in self._rates.items()}
        self._held: dict[MediaKind, _Held] = {}
        self._delta: dict[MediaKind, int] = {}
        self._sequence = 0
        self._fragments: list[Fragment] = []

    @property
    def has_audio(self) -> bool:
        return "audio" in self._rates

    @property
    def codecs(self) -> str:
        """`avc1.PPCCLL` from the stream's SPS, `,opus` with audio."""
        return self._codecs

    def write(self, kind: MediaKind, pts: int, data: bytes, keyframe: bool) -> None:
        """Queue a packet (pts = dts, stream clock units); add the stream's previous one."""
        held = self._held.get(kind)
        if held is not None:
            self._delta[kind] = pts - held.pts
            self._add(kind, held, pts - held.pts)
        self._held[kind] = _Held(data, pts, keyframe)

    def video_end(self) -> int:
        """End of the last video sample written, in video clock units."""
        held = self._held.get("video")
        return (held.pts if held is not None else 0) + self._duration("video")

    def close(self) -> None:
        """Add the held packets and cut the last fragment."""
        for kind, held in self._held.items():
            self._add(kind, held, self._duration(kind))
        self._held.clear()
        self._cut()

    def video_time(self, pts: int) -> int:
        """A video pts (clock units) as tfdt carries it: the track's timescale is the clock."""
        return pts

    def take(self) -> tuple[bytes | None, list[Fragment]]:
        """The init segment (once) and every fragment cut since the last call."""
        init, self._init = self._init, None
        fragments, self._fragments = self._fragments, []
        return init, fragments

    def _checked_codecs(self, init: bytes) -> str:
        """The codecs string, after checking the muxer kept the stream's own profile."""
        record, sps = avc_configuration(init), self._sps
        if record[1:4] != sps[1:4]:
            raise ValueError(
                f"avcC profile/level {record[1:4].hex()} does not match the SPS {sps[1:4].hex()}"
            )
        return avc_codec_string(self._sps) + (",opus" if self.has_audio else "")

    def _duration(self, kind: MediaKind) -> int:
        """The last seen spacing, or one 30 fps frame / 20 ms Opus packet for a lone packet."""
        return self._delta.get(kind, self._rates[kind] // (30 if kind == "video" else 50))

    def _add(self, kind: MediaKind, held: _Held, duration: int) -> None:
        run = self._runs[kind]
        if run:
            if kind == "video":
                if held.keyframe or held.pts - run.first_pts >= self._span[kind]:
                    self._cut(at_video=held.pts)
            elif held.pts - run.first_pts >= 2 * self._span[kind]:
                self._cut()  # the video stalled: its audio is not held back for it
        # H.264 samples carry each NAL unit behind its 4-byte length, not a start code
        data = length_prefixed(held.data) if kind == "video" else held.data
        self._runs[kind].add(held.pts, duration, data, held.keyframe)  # a cut replaced `run`

    def _cut(self, at_video: int | None = None) -> None:
        """Pack what was gathered as one fragment. At a video sample's time, the audio that
        starts at or after it waits for the next fragment, so both tracks are cut together."""
        later: TrackRun | None = None
        audio = self._runs.get("audio")
        if at_video is not None and audio is not None:
            later = audio.split_at(at_video, self._rates["video"])
        runs = list(self._runs.values())
        if any(runs):
            self._sequence += 1
            video = self._runs["video"]
            video_time = video.first_pts if video else None
            self._fragments.append(Fragment(pack_fragment(self._sequence, runs), video_time))
        for kind, run in self._runs.items():
            self._runs[kind] = run.following()
        if later is not None:
            self._runs["audio"] = later


def _init_segment(
    first_idr: bytes, rates: dict[MediaKind, int], stereo: bool
) -> tuple[bytes, int | None, int | None]:
    """`ftyp`+`moov` from PyAV's muxer, and the picture size: the video stream is built from
    a template opened on the first IDR, so the avcC comes from the stream's own SPS/PPS."""
    sink = MemorySink()
    options = {"movflags": _MOVFLAGS}
    with av.open(sink, "w", format="mp4", options=options) as container:
        with av.open(io.BytesIO(first_idr), format="h264") as template_input:
            template = template_input.streams.video[0]
            video = container.add_stream_from_template(template)
            width, height = template.width or None, template.height or None
        video.time_base = Fraction(1, rates["video"])
        if "audio" in rates:
            # An opened libopus encoder only supplies the OpusHead; nothing is encoded.
            layout = "stereo" if stereo else "mono"
            audio = container.add_stream("libopus", rate=rates["audio"], layout=layout)
            audio.time_base = Fraction(1, rates["audio"])
        container.start_encoding()
        init = bytes(sink.buffer)
    return init, width, height
