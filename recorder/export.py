"""A certified clip: a time range of one camera remuxed into a plain MP4, never re-encoded.

Archived segments each begin on a keyframe, so the clip begins with the
segment that contains the requested start (its first picture decodes) and ends
with the last sample that starts before the requested end. The archived
segments it was cut from are listed with their SHA-256, as signed in the
recording's manifest, beside the clip's own SHA-256.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import av

MP4_OPTIONS = {"movflags": "+faststart"}


@dataclass(frozen=True, slots=True)
class SourceSegment:
    key: str
    sha256: str
    started_at: datetime


@dataclass(frozen=True, slots=True)
class Clip:
    path: Path
    size: int
    sha256: str
    starts_at: datetime  # wall clock of the first picture, a keyframe
    duration_s: float
    video_frames: int


def remux_clip(archive_path: Path, origin: datetime, *, end: datetime, output: Path) -> Clip:
    """The samples of an fMP4 file (init + segments of one epoch, first sample captured at
    `origin`) up to `end`, as one MP4 file at `output` (files, not memory: clips run long)."""
    end_s = (end - origin).total_seconds()
    frames = 0
    video_end_s = 0.0
    with (
        av.open(str(archive_path), "r", format="mp4") as archive,
        av.open(str(output), "w", format="mp4", options=MP4_OPTIONS) as clip,
    ):
        kept = [s for s in archive.streams if s.type in ("video", "audio")]
        copies = {s.index: clip.add_stream_from_template(s) for s in kept}
        video_index = archive.streams.video[0].index
        offsets: dict[int, int] = {}
        for packet in archive.demux(*kept):
            if packet.dts is None or packet.pts is None or packet.time_base is None:
                continue  # the demuxer's end-of-stream flush packets
            offset = offsets.setdefault(packet.stream.index, packet.dts)
            at_s = float((packet.pts - offset) * packet.time_base)
            if at_s >= end_s:
                continue
            if packet.stream.index == video_index:
                frames += 1
                length = float((packet.duration or 0) * packet.time_base)
                video_end_s = max(video_end_s, at_s + length)
            packet.pts -= offset
            packet.dts -= offset
            packet.stream = copies[packet.stream.index]
            clip.mux(packet)
    if frames == 0:
        raise ValueError("no picture in that time range")
    digest = hashlib.sha256()
    with open(output, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return Clip(
        path=output,
        size=output.stat().st_size,
        sha256=digest.hexdigest(),
        starts_at=origin,
        duration_s=video_end_s,
        video_frames=frames,
    )


def covering(
    starts: Sequence[datetime], durations: Sequence[float], *, start: datetime, end: datetime
) -> range:
    """Indexes of the segments to cut: the one holding `start` through the last before `end`."""
    if end <= start:
        raise ValueError("the clip's end must come after its start")
    first = None
    last = None
    for index, (began, length) in enumerate(zip(starts, durations, strict=True)):
        if began + timedelta(seconds=length) <= start:
            continue
        if began >= end:
            break
        first = index if first is None else first
        last = index
    if first is None or last is None:
        raise ValueError("no archived segment covers that time range")
    return range(first, last + 1)
