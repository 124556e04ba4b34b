"""After an unclean stop: upload what the last process spooled, go on with its recordings.

A recording that was running when the process died goes on in the same recording: each
camera's gap (reason "crash") opens where its stored footage ends and closes at its first new
segment, whose numbers follow the highest the index or the spool knew.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from court.archiving import Archive
from court.recordings import Recordings
from recorder.recovery import recover_track
from storage.catalog import track_progress
from storage.db import Database
from storage.models import Courtroom, Recording

log = logging.getLogger(__name__)


async def resume_after_crash(db: Database, archive: Archive, recordings: Recordings) -> None:
    """Recover every spool directory; resume every recording the index says is running."""
    spool_dir = recordings.plan.spool_dir
    spool_dir.mkdir(parents=True, exist_ok=True)
    async with db.session() as session:
        running = list(
            await session.scalars(select(Recording).where(Recording.status == "recording"))
        )
        cameras = {
            room.id: [camera.name for camera in room.cameras]
            for room in await session.scalars(select(Courtroom))
        }
    for directory in sorted(p for p in spool_dir.iterdir() if p.is_dir()):
        if directory.name not in {recording.id for recording in running}:
            for camera_dir in _camera_dirs(directory):
                for job in recover_track(camera_dir).jobs:
                    recordings.uploader.submit(job)
    for recording in running:
        await _resume(db, archive, recordings, recording, cameras.get(recording.courtroom_id, []))


async def _resume(
    db: Database,
    archive: Archive,
    recordings: Recordings,
    recording: Recording,
    cameras: list[str],
) -> None:
    directory = recordings.plan.spool_dir / recording.id
    spooled = (
        {track.camera: track for track in map(recover_track, _camera_dirs(directory))}
        if directory.exists()
        else {}
    )
    async with db.session() as session:
        stored = await track_progress(session, recording_id=recording.id)
    numbered_until: dict[str, tuple[int, int]] = {}
    footage_ends: dict[str, datetime] = {}
    for camera in sorted(set(stored) | set(spooled)):
        known = [t for t in (stored.get(camera), spooled.get(camera)) if t]
        numbered_until[camera] = (
            max(t.last_epoch for t in known),
            max(t.last_sequence for t in known),
        )
        ends = [t.recorded_until for t in known if t.recorded_until]
        if ends:
            footage_ends[camera] = max(ends)
    await archive.open_crash_gaps(recording.id, footage_ends)
    for track in spooled.values():
        for job in track.jobs:
            recordings.uploader.submit(job)
    log.warning("resuming recording %s after an unclean stop", recording.id)
    await recordings.start_recording(recording, cameras=cameras, numbered_until=numbered_until)


def _camera_dirs(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.is_dir())
