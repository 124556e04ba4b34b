"""Recordings that go on after the process recording them stopped without finishing.

At start-up this node's spool is recovered: everything the last process spooled is uploaded
(indexed without a fence: it is footage from before the break), and a recording it was
running goes on here if this node takes its courtroom (court/leases.py).
A recording goes on in the same recording: each camera's gap (reason `crash` for this node's
own earlier process, `node_lost` or `handover` for another node) opens where its footage
ends and closes at its first new segment, whose numbers follow the highest the index, the
spool or the last holder's reservation knew, so no object key is ever written twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from court.archiving import Archive, FootageEnd
from court.recordings import Recordings
from recorder.recovery import RecoveredTrack, recover_track
from recorder.uploader import UploadJob
from storage.catalog import track_progress
from storage.db import Database
from storage.models import Camera, Recording

log = logging.getLogger(__name__)


@dataclass
class RecoveredSpool:
    """What the last process left in this node's spool, per recording and camera."""

    tracks: dict[str, dict[str, RecoveredTrack]] = field(default_factory=dict)

    def take(self, recording_id: str) -> dict[str, RecoveredTrack]:
        """How far a recording resumed here got in the spool (its numbers and footage)."""
        return self.tracks.pop(recording_id, {})

    def jobs(self) -> list[UploadJob]:
        """Every spooled object, in order: all are uploaded, whoever goes on recording."""
        return [job for cameras in self.tracks.values() for t in cameras.values() for job in t.jobs]


def recover_spool(spool_dir: Path) -> RecoveredSpool:
    """Read every recording's spool directory (nothing is uploaded yet)."""
    spool_dir.mkdir(parents=True, exist_ok=True)
    recovered = RecoveredSpool()
    for directory in sorted(p for p in spool_dir.iterdir() if p.is_dir()):
        tracks = [recover_track(camera_dir) for camera_dir in _camera_dirs(directory)]
        recovered.tracks[directory.name] = {track.camera: track for track in tracks}
    return recovered


async def continue_recording(
    db: Database,
    archive: Archive,
    recordings: Recordings,
    recording: Recording,
    *,
    reason: str,
    spooled: dict[str, RecoveredTrack],
    reserved: dict[str, list[int]],
) -> None:
    """Go on with a running recording on this node after a break of `reason`."""
    async with db.session() as session:
        stored = await track_progress(session, recording_id=recording.id)
        cameras = list(
            await session.scalars(
                select(Camera.name)
                .where(Camera.courtroom_id == recording.courtroom_id)
                .order_by(Camera.position, Camera.name)
            )
        )
    numbered_until: dict[str, tuple[int, int]] = {}
    footage: dict[str, FootageEnd] = {}
    for camera in sorted(set(stored) | set(spooled) | set(reserved)):
        known = [t for t in (stored.get(camera), spooled.get(camera)) if t]
        epoch_reserved, sequence_reserved = reserved.get(camera, (0, 0))
        numbered_until[camera] = (
            max([epoch_reserved] + [t.last_epoch for t in known]),
            max([sequence_reserved] + [t.last_sequence for t in known]),
        )
        ends = [t.recorded_until for t in known if t.recorded_until]
        if ends:
            footage[camera] = FootageEnd(max(ends), max(t.last_epoch for t in known))
    await archive.open_break_gaps(recording.id, footage, reason, numbered_until)
    log.warning("recording %s goes on here after a break (%s)", recording.id, reason)
    await recordings.start_recording(recording, cameras=cameras, numbered_until=numbered_until)


def _camera_dirs(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.is_dir())
