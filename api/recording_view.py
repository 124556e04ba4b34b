"""The JSON shape of a recording: per-camera totals of what is safely stored."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from api.schemas.recordings import GapOut, RecordingOut, TrackOut
from court.runtime import Runtime
from storage.catalog import track_summaries
from storage.gaps import recording_gaps
from storage.models import Courtroom, Recording


async def recording_out(
    session: AsyncSession, runtime: Runtime, recording: Recording
) -> RecordingOut:
    """Every camera of the courtroom appears, with zeros until its first segment is stored."""
    courtroom = await session.get(Courtroom, recording.courtroom_id)
    cameras = [camera.name for camera in courtroom.cameras] if courtroom else []
    summaries = {s.camera: s for s in await track_summaries(session, recording_id=recording.id)}
    publishing = set(runtime.publications.publishing_cameras(recording.courtroom_id))
    tracks = []
    for camera in sorted(set(cameras) | set(summaries), key=_camera_order(cameras)):
        summary = summaries.get(camera)
        tracks.append(
            TrackOut(
                camera=camera,
                duration_s=round(summary.duration_s, 3) if summary else 0.0,
                segments=summary.segments if summary else 0,
                bytes=summary.bytes if summary else 0,
                frames=summary.frames if summary else 0,
                first_segment_at=summary.first_segment_at if summary else None,
                last_segment_end=summary.last_segment_end if summary else None,
                epochs=summary.epochs if summary else 0,
                publishing=camera in publishing,
                playlist=f"/api/v1/recordings/{recording.id}/cameras/{camera}/playlist.m3u8",
            )
        )
    return RecordingOut(
        id=recording.id,
        hearing_id=recording.hearing_id,
        courtroom_id=recording.courtroom_id,
        status=recording.status,
        started_at=recording.started_at,
        stopped_at=recording.stopped_at,
        tracks=tracks,
        gaps=[
            GapOut(
                camera=gap.camera,
                reason=gap.reason,
                started_at=gap.started_at,
                ended_at=gap.ended_at,
                duration_s=_seconds_between(gap.started_at, gap.ended_at),
                detail=gap.detail,
            )
            for gap in await recording_gaps(session, recording_id=recording.id)
        ],
        manifest_sha256=recording.manifest_sha256,
        retention_class=recording.retention_class,
        retain_until=recording.retain_until,
    )


def _camera_order(cameras: list[str]) -> Callable[[str], tuple[int, str]]:
    positions = {name: index for index, name in enumerate(cameras)}
    return lambda camera: (positions.get(camera, len(positions)), camera)


def _seconds_between(start: datetime, end: datetime | None) -> float | None:
    return (end - start).total_seconds() if end else None
