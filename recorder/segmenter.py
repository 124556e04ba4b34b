"""One camera's H.264 (+ Opus) frames -> CMAF fMP4 init segments, fragments and segments.

A passthrough remux (`recorder.fmp4`: PyAV's mp4 muxer writes the init, the
fragments are packed there): H.264 access units and Opus packets are copied
into `mdat`s (start codes become lengths), nothing is decoded or encoded.
The cutting is the segment plan's; this container says what starts an epoch
in H.264 (an IDR with its SPS and PPS) and opens the fMP4 writer. The
component is pure of files, clocks and asyncio.
"""

from __future__ import annotations

from collections import Counter

from recorder import fmp4
from recorder.bitstream import NAL_PPS, NAL_SPS, annexb_nal_units, h264_is_idr, nal_type
from recorder.media import EncodedMedia
from recorder.segment_plan import MediaWriter, SegmentPlan, WriterOpening


class H264Fmp4:
    """H.264 in CMAF fMP4: an IDR is a keyframe, its SPS and PPS are the epoch's parameters."""

    def video_key(self, frame: EncodedMedia) -> tuple[bool, tuple[bytes, ...] | None]:
        if frame.codec != "h264":
            raise ValueError(f"unsupported video codec {frame.codec!r}: only h264 is remuxed")
        if not h264_is_idr(frame.data):
            return False, None  # an SPS takes effect at an IDR picture only (H.264 7.4.1.2.1)
        params = tuple(
            unit for unit in annexb_nal_units(frame.data) if nal_type(unit) in (NAL_SPS, NAL_PPS)
        )
        has_sps = any(nal_type(unit) == NAL_SPS for unit in params)
        return True, params if has_sps else None

    def new_writer(self, opening: WriterOpening, drops: Counter[str]) -> MediaWriter:
        del drops  # the mp4 muxer interleaves every packet it is given
        audio = opening.audio
        return fmp4.FragmentedMp4Writer(
            first_idr=opening.first_key,
            video_rate=opening.video_rate,
            audio_rate=audio[0] if audio else None,
            audio_stereo=audio[1] if audio else False,
            fragment_s=opening.fragment_s,
        )


class Segmenter(SegmentPlan):
    """Turns one camera's H.264 (+ Opus) frames into CMAF fMP4; see the module docstring."""

    def __init__(self, *, target_segment_s: float = 2.0, fragment_s: float = 0.5) -> None:
        super().__init__(H264Fmp4(), target_segment_s=target_segment_s, fragment_s=fragment_s)
