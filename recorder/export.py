"""A certified clip: a time range of one camera remuxed into a plain MP4, never re-encoded.

Archived segments each begin on a keyframe, so the clip begins with the
segment that contains the requested start (its first picture decodes) and ends
with the last sample that starts before the requested end. The court certifies
the clip, so both what it is cut from and the bytes it is cut from come from the
recording's signed manifest, not from the index: the segments covering the range
are chosen by the times the manifest signed (an edited index cannot reorder or
retime them), and each object is hashed as it streams from the store and
compared with the manifest before anything is cut. The sources a statement lists
carry the SHA-256 of the bytes actually read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import av

from recorder.evidence_sources import SignedRecording, copy_verified
from recorder.integrity import Manifest
from storage.objects import ObjectStore

MP4_OPTIONS = {"movflags": "+faststart"}
SignedObject = Mapping[str, Any]  # one entry of a manifest track: key, sha256, type, epoch...


class CrossesEpochs(ValueError):
    """The range spans a change of codec parameters: no single MP4 can hold both sides."""


@dataclass(frozen=True, slots=True)
class SourceObject:
    """An archived object a clip was cut from, as read: its bytes matched the manifest."""

    key: str
    sha256: str
    size: int
    version_id: str | None


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


def clip_objects(
    manifest: Manifest, camera: str, *, start: datetime, end: datetime
) -> list[SignedObject]:
    """The init segment and the media segments of `camera` to cut [start, end) from.

    ValueError when no segment covers the range, CrossesEpochs when it spans a change.
    """
    track = manifest["tracks"].get(camera, {"objects": []})["objects"]
    segments = [entry for entry in track if entry["type"] == "segment"]
    chosen = [
        segments[i]
        for i in covering(
            [datetime.fromisoformat(s["started_at"]) for s in segments],
            [float(s["duration_s"]) for s in segments],
            start=start,
            end=end,
        )
    ]
    epoch = chosen[0]["epoch"]
    if any(segment["epoch"] != epoch for segment in chosen):
        raise CrossesEpochs(
            "the range crosses a change of camera or picture size: export each side separately"
        )
    init = next((e for e in track if e["type"] == "init" and e["epoch"] == epoch), None)
    if init is None:
        raise ValueError(f"the signed manifest lists no init segment for epoch {epoch}")
    return [init, *chosen]


async def read_sources(
    store: ObjectStore,
    signed: SignedRecording,
    objects: Sequence[SignedObject],
    *,
    versions: Mapping[str, str | None],
    output: Path,
) -> list[SourceObject]:
    """Stream `objects` one after another into `output`, each checked against the manifest.

    Each is read at the version the index recorded (`versions`, by key), else the one the
    manifest names, else the current one, as `courtcast verify` reads them. Raises
    EvidenceMismatch at the first object that differs; `output` then holds bytes that are
    not evidence and must be discarded.
    """
    sources = []
    with open(output, "wb") as file:
        for entry in objects:
            key = str(entry["key"])
            version_id = versions.get(key) or entry.get("version_id")
            before = file.tell()
            sha256 = await copy_verified(
                store, signed, key=key, version_id=version_id, write=file.write
            )
            sources.append(SourceObject(key, sha256, file.tell() - before, version_id))
    return sources


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
