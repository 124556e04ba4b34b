"""Start-up recovery of the spool a previous process left behind.

Finished files have their record beside them and only need uploading. A
segment that was still growing is cut back to its last complete fragment
(everything in it was fsynced as it completed), its length and frame count are
read back from the fragments themselves, and it becomes a finished segment.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from recorder.isobmff import complete_length, video_timing
from recorder.spool import OPENING_SUFFIX, PART_SUFFIX, RECORD_SUFFIX
from recorder.uploader import UploadJob
from storage.archive import ObjectRecord, OpeningRecord, SegmentRecord, object_record_from_json

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RecoveredTrack:
    """What one camera's spool held: uploads to redo, and where its numbering stopped."""

    camera: str
    jobs: list[UploadJob]
    last_epoch: int
    last_sequence: int
    recorded_until: datetime | None


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
            records.append((object_record_from_json(sidecar.read_text(encoding="utf-8")), path))
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
    opened = OpeningRecord.from_json(opening.read_text(encoding="utf-8"))
    if opened.video_track is None:
        log.error("cannot finish %s: only fMP4 segments are recovered; left in the spool", part)
        return
    data = part.read_bytes() if part.exists() else b""
    keep = complete_length(data)
    if keep == 0:
        part.unlink(missing_ok=True)  # not one whole fragment reached the disk
        opening.unlink()
        return
    data = data[:keep]
    frames, duration = video_timing(data, *opened.video_track)
    with open(part, "r+b") as file:
        file.truncate(keep)
        os.fsync(file.fileno())
    record = opened.finished(
        duration_s=duration, size=keep, sha256=hashlib.sha256(data).hexdigest(), frames=frames
    )
    final.with_name(final.name + RECORD_SUFFIX).write_text(record.to_json(), encoding="utf-8")
    os.replace(part, final)
    opening.unlink()


def _upload_order(record: ObjectRecord) -> tuple[int, int, int]:
    """Init of an epoch first, then its segments by number."""
    if isinstance(record, SegmentRecord):
        return record.epoch, 1, record.sequence
    return record.epoch, 0, 0
