"""Start-up recovery of the spool a previous process left behind.

Finished files have their record beside them and only need uploading. A
segment that was still growing is cut back to its last complete fragment
(everything in it was fsynced as it completed), its length and frame count are
read back from the fragments themselves, and it becomes a finished segment.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import struct
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from recorder.fmp4 import Box, find_path, iter_boxes, track_handlers
from recorder.records import ObjectRecord, SegmentRecord, record_from_json, record_to_json
from recorder.spool import OPENING_SUFFIX, PART_SUFFIX, RECORD_SUFFIX
from recorder.uploader import UploadJob

log = logging.getLogger(__name__)

TFHD_DEFAULT_DURATION = 0x08
TRUN_DATA_OFFSET, TRUN_FIRST_FLAGS = 0x01, 0x04
TRUN_DURATION, TRUN_SIZE, TRUN_FLAGS, TRUN_CTO = 0x100, 0x200, 0x400, 0x800


@dataclass(frozen=True, slots=True)
class RecoveredTrack:
    """What one camera's spool held: uploads to redo, and where its numbering stopped."""

    camera: str
    jobs: list[UploadJob]
    last_epoch: int
    last_sequence: int
    recorded_until: datetime | None


def complete_length(data: bytes) -> int:
    """Bytes of whole moof+mdat pairs at the start of a partial fMP4 segment."""
    good = 0
    moof_seen = False
    for box in iter_boxes(data):
        if box.type == "moof":
            moof_seen = True
        elif box.type == "mdat" and moof_seen:
            good, moof_seen = box.end, False
    return good


def video_track_of(init: bytes) -> tuple[int, int]:
    """(track id, timescale) of an fMP4 init segment's video track."""
    track_id = track_handlers(init)["vide"]
    return track_id, _timescale(init, track_id)


def video_timing(segment: bytes, track_id: int, timescale: int) -> tuple[int, float]:
    """(video samples, seconds from the first sample's start to the last one's end)."""
    frames = 0
    first: int | None = None
    end = 0
    for moof in find_path(segment, "moof"):
        for traf in find_path(segment, "traf", moof.payload, moof.end):
            tfhd = find_path(segment, "tfhd", traf.payload, traf.end)[0]
            if struct.unpack_from(">I", segment, tfhd.payload + 4)[0] != track_id:
                continue
            tfdt = find_path(segment, "tfdt", traf.payload, traf.end)[0]
            start = _tfdt_time(segment, tfdt)
            first = start if first is None else first
            count, duration = _trun_totals(segment, traf, _default_duration(segment, tfhd))
            frames += count
            end = start + duration
    if first is None:
        return 0, 0.0
    return frames, (end - first) / timescale


def recover_track(directory: Path) -> RecoveredTrack:
    """Finish the camera's partial segment, then list every file still to upload, in order."""
    for opening in directory.glob(f"*{PART_SUFFIX}{OPENING_SUFFIX}"):
        _finish_partial(opening)
    records: list[tuple[ObjectRecord, Path]] = []
    for sidecar in directory.glob(f"*{RECORD_SUFFIX}"):
        if sidecar.name.endswith(PART_SUFFIX + OPENING_SUFFIX):
            continue  # a partial segment that could not be finished
        path = sidecar.with_name(sidecar.name[: -len(RECORD_SUFFIX)])
        if path.exists():
            records.append((record_from_json(sidecar.read_text(encoding="utf-8")), path))
    records.sort(key=lambda item: _upload_order(item[0]))
    segments = [record for record, _ in records if isinstance(record, SegmentRecord)]
    last = max(segments, key=lambda record: record.sequence, default=None)
    return RecoveredTrack(
        camera=directory.name,
        jobs=[UploadJob(record, path) for record, path in records],
        last_epoch=max((record.epoch for record, _ in records), default=0),
        last_sequence=last.sequence if last else 0,
        recorded_until=last.started_at + timedelta(seconds=last.duration_s) if last else None,
    )


def _finish_partial(opening: Path) -> None:
    part = opening.with_name(opening.name[: -len(OPENING_SUFFIX)])
    final = part.with_name(part.name[: -len(PART_SUFFIX)])
    if not part.exists() and final.exists():
        os.replace(final, part)  # died between the rename and writing its record
    opened = json.loads(opening.read_text(encoding="utf-8"))
    if opened.get("video_track") is None:
        log.error("cannot finish %s: only fMP4 segments are recovered; left in the spool", part)
        return
    data = part.read_bytes() if part.exists() else b""
    keep = complete_length(data)
    if keep == 0:
        part.unlink(missing_ok=True)  # not one whole fragment reached the disk
        opening.unlink()
        return
    data = data[:keep]
    frames, duration = video_timing(data, *opened["video_track"])
    with open(part, "r+b") as file:
        file.truncate(keep)
        os.fsync(file.fileno())
    record = SegmentRecord(
        recording_id=opened["recording_id"],
        camera=opened["camera"],
        epoch=opened["epoch"],
        sequence=opened["sequence"],
        key=opened["key"],
        extension=opened["extension"],
        started_at=datetime.fromisoformat(opened["started_at"]),
        duration_s=duration,
        size=keep,
        sha256=hashlib.sha256(data).hexdigest(),
        frames=frames,
        discontinuity=opened["discontinuity"],
    )
    final.with_name(final.name + RECORD_SUFFIX).write_text(record_to_json(record), encoding="utf-8")
    os.replace(part, final)
    opening.unlink()


def _upload_order(record: ObjectRecord) -> tuple[int, int, int]:
    """Init of an epoch first, then its segments by number."""
    if isinstance(record, SegmentRecord):
        return record.epoch, 1, record.sequence
    return record.epoch, 0, 0


def _timescale(init: bytes, track_id: int) -> int:
    for trak in find_path(init, "moov/trak"):
        tkhd = find_path(init, "tkhd", trak.payload, trak.end)[0]
        id_offset = tkhd.payload + (20 if init[tkhd.payload] == 1 else 12)
        if struct.unpack_from(">I", init, id_offset)[0] != track_id:
            continue
        mdhd = find_path(init, "mdia/mdhd", trak.payload, trak.end)[0]
        offset = mdhd.payload + (20 if init[mdhd.payload] == 1 else 12)
        timescale: int = struct.unpack_from(">I", init, offset)[0]
        return timescale
    raise ValueError(f"init segment has no track {track_id}")


def _tfdt_time(data: bytes, tfdt: Box) -> int:
    if data[tfdt.payload] == 1:
        time: int = struct.unpack_from(">Q", data, tfdt.payload + 4)[0]
    else:
        time = struct.unpack_from(">I", data, tfdt.payload + 4)[0]
    return time


def _default_duration(data: bytes, tfhd: Box) -> int:
    flags = int.from_bytes(data[tfhd.payload + 1 : tfhd.payload + 4], "big")
    if not flags & TFHD_DEFAULT_DURATION:
        return 0
    offset = tfhd.payload + 8 + (8 if flags & 0x01 else 0) + (4 if flags & 0x02 else 0)
    duration: int = struct.unpack_from(">I", data, offset)[0]
    return duration


def _trun_totals(data: bytes, traf: Box, default_duration: int) -> tuple[int, int]:
    """(sample count, summed duration) over the track fragment's trun boxes."""
    count = total = 0
    for trun in find_path(data, "trun", traf.payload, traf.end):
        flags = int.from_bytes(data[trun.payload + 1 : trun.payload + 4], "big")
        (samples,) = struct.unpack_from(">I", data, trun.payload + 4)
        offset = trun.payload + 8
        offset += 4 if flags & TRUN_DATA_OFFSET else 0
        offset += 4 if flags & TRUN_FIRST_FLAGS else 0
        per_sample = 4 * sum(
            bool(flags & f) for f in (TRUN_DURATION, TRUN_SIZE, TRUN_FLAGS, TRUN_CTO)
        )
        for index in range(samples):
            if flags & TRUN_DURATION:
                total += struct.unpack_from(">I", data, offset + index * per_sample)[0]
            else:
                total += default_duration
        count += samples
    return count, total
