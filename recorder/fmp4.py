"""Fragmented MP4 (ISO/IEC 14496-12, CMAF) writer: PyAV's muxer on a memory sink.

The writer never trusts the muxer's timing of its writes: it reads the box
headers of what came out (`recorder.isobmff`) and splits at `moof` boundaries;
the segmenter reads each fragment's `tfdt` to know which segment the fragment
belongs to. Packets are copied as they are: nothing is decoded or encoded.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from fractions import Fraction

import av

from recorder.bitstream import NAL_SPS, annexb_nal_units, avc_codec_string, nal_type
from recorder.isobmff import Box, avc_configuration, decode_times, iter_boxes, track_handlers
from recorder.memory_sink import MemorySink
from storage.archive import MediaKind

# frag_discont: each track's first tfdt carries its real start (audio may start after video);
# without it the muxer cannot express that offset once the empty moov is written.
_MOVFLAGS = "cmaf+frag_keyframe+empty_moov+default_base_moof+skip_trailer+frag_discont"
_MAX_INTERLEAVE_US = "100000"  # a stalled audio track holds video back at most 0.1 s


@dataclass(frozen=True, slots=True)
class Fragment:
    """One moof+mdat as written (with any box the muxer put before the moof).

    `video_time` is the video track's tfdt, None in a fragment without video.
    """

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

    The video stream is built from a template opened on the first IDR, so the
    avcC comes from the stream's own SPS/PPS (Annex-B extradata: the muxer
    rewrites Annex-B packets to length-prefixed). Each packet is held until the
    next one of its stream arrives, so every sample gets its true duration.
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
        self._clocks: dict[MediaKind, Fraction] = {"video": Fraction(1, video_rate)}
        self._sink = MemorySink()
        self._held: dict[MediaKind, _Held] = {}
        self._delta: dict[MediaKind, int] = {}
        self._init_done = False
        self._sps = next(u for u in annexb_nal_units(first_idr) if nal_type(u) == NAL_SPS)
        self._codecs: str | None = None
        self._parsed = 0  # buffer length at the last take(), to skip re-parsing
        self._video_track = 1
        self._container = av.open(
            self._sink,
            "w",
            format="mp4",
            options={
                "movflags": _MOVFLAGS,
                "frag_duration": str(max(1, round(fragment_s * 1_000_000))),
                "max_interleave_delta": _MAX_INTERLEAVE_US,
            },
        )
        with av.open(io.BytesIO(first_idr), format="h264") as template_input:
            template = template_input.streams.video[0]
            video = self._container.add_stream_from_template(template)
            self.width: int | None = template.width or None
            self.height: int | None = template.height or None
        video.time_base = self._clocks["video"]
        self._streams: dict[MediaKind, av.stream.Stream] = {"video": video}
        if audio_rate is not None:
            # An opened libopus encoder only supplies the OpusHead; nothing is encoded.
            layout = "stereo" if audio_stereo else "mono"
            audio = self._container.add_stream("libopus", rate=audio_rate, layout=layout)
            audio.time_base = self._clocks["audio"] = Fraction(1, audio_rate)
            self._streams["audio"] = audio
            self._rates["audio"] = audio_rate
        self._container.start_encoding()

    @property
    def has_audio(self) -> bool:
        return "audio" in self._streams

    @property
    def codecs(self) -> str:
        """`avc1.PPCCLL` from the stream's SPS, `,opus` with audio; known once the init is."""
        assert self._codecs is not None, "codecs are known once take() returned the init"
        return self._codecs

    def write(self, kind: MediaKind, pts: int, data: bytes, keyframe: bool) -> None:
        """Queue a packet (pts = dts, stream clock units); mux the stream's previous one."""
        held = self._held.get(kind)
        if held is not None:
            self._delta[kind] = pts - held.pts
            self._mux(kind, held, pts - held.pts)
        self._held[kind] = _Held(data, pts, keyframe)

    def video_end(self) -> int:
        """End of the last video sample written, in video clock units."""
        held = self._held.get("video")
        return (held.pts if held is not None else 0) + self._duration("video")

    def close(self) -> None:
        """Mux the held packets and let the muxer write its last fragment."""
        for kind, held in self._held.items():
            self._mux(kind, held, self._duration(kind))
        self._held.clear()
        self._container.close()

    def video_time(self, pts: int) -> int:
        """A video pts (clock units) in the muxer's video timescale, as tfdt carries it."""
        time_base = self._streams["video"].time_base
        assert time_base is not None, "the muxer sets every stream's time base"
        return round(pts * self._clocks["video"] / time_base)

    def take(self) -> tuple[bytes | None, list[Fragment]]:
        """The init segment (once, when complete) and every complete fragment so far."""
        data = self._sink.buffer
        if len(data) == self._parsed:
            return None, []  # nothing new: the muxer writes whole fragments at once
        init: bytes | None = None
        fragments: list[Fragment] = []
        consumed = 0
        moof: Box | None = None
        for box in iter_boxes(data):
            if not self._init_done:
                if box.type == "moof":
                    raise ValueError("muxer wrote a moof before the moov")
                if box.type == "moov":
                    init, consumed, self._init_done = bytes(data[: box.end]), box.end, True
                    self._video_track = track_handlers(init).get("vide", 1)
                    self._codecs = self._checked_codecs(init)
            elif box.type == "moof":
                moof = box
            elif box.type == "mdat" and moof is not None:
                video_time = decode_times(bytes(data[moof.start : moof.end])).get(self._video_track)
                fragments.append(Fragment(bytes(data[consumed : box.end]), video_time))
                consumed, moof = box.end, None
        del data[:consumed]
        self._parsed = len(data)
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

    def _mux(self, kind: MediaKind, held: _Held, duration: int) -> None:
        packet = av.Packet(held.data)
        packet.stream = self._streams[kind]
        packet.time_base = self._clocks[kind]  # one Fraction per stream, not per packet
        packet.pts = packet.dts = held.pts
        packet.duration = max(1, duration)
        packet.is_keyframe = held.keyframe
        self._container.mux(packet)
