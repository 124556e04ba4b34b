"""How each video codec is archived: the segmenter that writes its track and the file
extensions of its init segment and media segments (CMAF fMP4 where players take it)."""

from __future__ import annotations

from dataclasses import dataclass

from recorder.segmenter import Segmenter
from recorder.webm_segmenter import WebmSegmenter


@dataclass(frozen=True, slots=True)
class Container:
    """How one video codec is archived: its segmenter and the file extensions it writes."""

    segmenter: type[Segmenter | WebmSegmenter]
    init_extension: str
    segment_extension: str


CONTAINERS = {
    "h264": Container(Segmenter, "mp4", "m4s"),  # CMAF fMP4: plays in every HLS player
    "vp8": Container(WebmSegmenter, "webm", "webm"),  # the mp4 muxer refuses VP8
}
