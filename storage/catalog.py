"""Index writes and reads shared by the recorder wiring and the API.

Keyword-only functions on an AsyncSession; the caller owns the transaction.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.archive import InitRecord, SegmentRecord
from storage.cluster_models import dialect, insert_in
from storage.keys import TrackPrefix, parse_object_name
from storage.leases import Fence, check_fence
from storage.models import (
    Case,
    CaseParty,
    Court,
    Hearing,
    InitSegment,
    Recording,
    Segment,
    Track,
)
from storage.objects import ObjectProtection, RetentionMode


async def default_court(session: AsyncSession, *, name: str, timezone: str) -> Court:
    """The installation's court, created on first use (a later issue manages several)."""
    court = await session.scalar(select(Court).order_by(Court.created_at).limit(1))
    if court is None:
        court = Court(name=name, timezone=timezone)
        session.add(court)
        await session.flush()
    return court


async def track_for(session: AsyncSession, *, recording_id: str, camera: str) -> Track:
    """The camera's track in a recording, created when its first object is stored."""
    track = await session.scalar(
        select(Track).where(Track.recording_id == recording_id, Track.camera == camera)
    )
    if track is None:
        track = Track(recording_id=recording_id, camera=camera)
        try:
            async with session.begin_nested():
                session.add(track)
        except IntegrityError:  # created concurrently by another upload of the same camera
            track = await session.scalar(
                select(Track).where(Track.recording_id == recording_id, Track.camera == camera)
            )
            assert track is not None
    return track


async def add_init_segment(
    session: AsyncSession, record: InitRecord, fence: Fence | None = None
) -> None:
    """Index an init segment; idempotent so an upload retried after a crash is harmless.

    `record.version_id` is the version the store confirmed (None without versions): reads
    use it, so a version laid on top later is never taken for the recording. With a `fence`
    the write is refused (storage.leases.Fenced) unless its lease still holds.
    """
    if fence is not None:  # spool recovery indexes without: footage of a node gone
        await check_fence(session, fence)
    track = await track_for(session, recording_id=record.recording_id, camera=record.camera)
    existing = await session.scalar(
        select(InitSegment).where(
            InitSegment.track_id == track.id, InitSegment.epoch == record.epoch
        )
    )
    if existing is None:
        session.add(InitSegment(track_id=track.id, **_columns(record, fence)))


# The segments table itself: an insert of it skips the ORM's per-row bookkeeping.
_SEGMENTS = cast(Table, Segment.__table__)


async def add_segment(
    session: AsyncSession,
    record: SegmentRecord,
    fence: Fence | None = None,
    *,
    track_id: str | None = None,
) -> str:
    """Index a media segment once the store has confirmed it (as `record.version_id`, if
    the store keeps versions); idempotent per sequence (a row already there stays); fenced
    as add_init_segment. Returns the camera's track id: a caller that passes it back as
    `track_id` spares every later segment the lookup, so a segment is one statement after
    the fence (a node of eight cameras indexes four a second; bench/segment_index.py)."""
    if fence is not None:
        await check_fence(session, fence)
    if track_id is None:
        track = await track_for(session, recording_id=record.recording_id, camera=record.camera)
        track_id = track.id
    await session.execute(
        _new_segment(dialect(session)), {"track_id": track_id, **_columns(record, fence)}
    )
    return track_id


@functools.cache
def _new_segment(dialect_name: str) -> postgresql.Insert | sqlite.Insert:
    """Built once per dialect: four segments a second at eight cameras."""
    new = insert_in(dialect_name, _SEGMENTS)
    return new.on_conflict_do_nothing(index_elements=["track_id", "sequence"])


def _columns(record: InitRecord | SegmentRecord, fence: Fence | None) -> dict[str, object]:
    """The record's fields as the index row's columns: its track stands for recording and
    camera, the key is `object_key`, and the fence names the node and lease that wrote it."""
    columns = asdict(record)
    del columns["recording_id"], columns["camera"]
    columns["object_key"] = columns.pop("key")
    if fence is not None:
        columns["node_id"], columns["fence"] = fence.node_id, fence.number
    return columns


@dataclass(frozen=True, slots=True)
class TrackSummary:
    camera: str
    duration_s: float
    segments: int
    bytes: int
    frames: int
    first_segment_at: datetime | None
    last_segment_end: datetime | None
    epochs: int


async def track_summaries(session: AsyncSession, *, recording_id: str) -> list[TrackSummary]:
    """Per-camera totals of what is stored, one aggregate query for the whole recording."""
    rows = await session.execute(
        select(
            Track.camera,
            func.coalesce(func.sum(Segment.duration_s), 0.0),
            func.count(Segment.id),
            func.coalesce(func.sum(Segment.size), 0),
            func.coalesce(func.sum(Segment.frames), 0),
            func.min(Segment.started_at),
            func.count(func.distinct(Segment.epoch)),
        )
        .select_from(Track)
        .outerjoin(Segment, Segment.track_id == Track.id)
        .where(Track.recording_id == recording_id)
        .group_by(Track.camera)
        .order_by(Track.camera)
    )
    summaries = []
    for camera, duration, count, size, frames, first, epochs in rows:
        last_end = None
        if count:
            last = await session.scalar(
                select(Segment)
                .join(Track, Track.id == Segment.track_id)
                .where(Track.recording_id == recording_id, Track.camera == camera)
                .order_by(Segment.sequence.desc())
                .limit(1)
            )
            assert last is not None
            last_end = last.started_at + timedelta(seconds=last.duration_s)
        summaries.append(
            TrackSummary(
                camera=camera,
                duration_s=float(duration),
                segments=int(count),
                bytes=int(size),
                frames=int(frames),
                first_segment_at=first,
                last_segment_end=last_end,
                epochs=int(epochs),
            )
        )
    return summaries


async def track_objects(
    session: AsyncSession, *, recording_id: str, camera: str
) -> tuple[list[InitSegment], list[Segment]]:
    """A camera's init segments and media segments in playback order (for playlists)."""
    track = await session.scalar(
        select(Track).where(Track.recording_id == recording_id, Track.camera == camera)
    )
    if track is None:
        return [], []
    inits = list(
        await session.scalars(
            select(InitSegment).where(InitSegment.track_id == track.id).order_by(InitSegment.epoch)
        )
    )
    segments = list(
        await session.scalars(
            select(Segment).where(Segment.track_id == track.id).order_by(Segment.sequence)
        )
    )
    return inits, segments


async def indexed_versions(
    session: AsyncSession,
    *,
    recording_id: str,
    camera: str,
    objects: Sequence[Mapping[str, Any]],
) -> dict[str, str | None]:
    """The version the store confirmed for each object the index holds among `objects` (a
    camera's manifest entries), by key; read by their numbers, so a clip of a 4-hour track
    reads its own rows and not all 7,200 (which held the event loop 110-180 ms)."""
    track = (
        select(Track.id)
        .where(Track.recording_id == recording_id, Track.camera == camera)
        .scalar_subquery()
    )
    epochs = [entry["epoch"] for entry in objects if entry["type"] == "init"]
    sequences = [entry["sequence"] for entry in objects if entry["type"] == "segment"]
    rows = [
        *await session.execute(
            select(InitSegment.object_key, InitSegment.version_id).where(
                InitSegment.track_id == track, InitSegment.epoch.in_(epochs)
            )
        )
    ]
    if sequences:
        rows += await session.execute(
            select(Segment.object_key, Segment.version_id).where(
                Segment.track_id == track,
                Segment.sequence.between(min(sequences), max(sequences)),
            )
        )
    return {key: version for key, version in rows}


async def stored_object(
    session: AsyncSession, *, recording_id: str, camera: str, name: str
) -> InitSegment | Segment | None:
    """The indexed object a player asks for by name (`init-0001.mp4`, `seg-00000042.m4s`),
    found by its number rather than by reading the whole track; None if there is none."""
    try:
        parsed = parse_object_name(name)
    except ValueError:
        return None
    track = await session.scalar(
        select(Track.id).where(Track.recording_id == recording_id, Track.camera == camera)
    )
    if track is None or parsed.number is None:
        return None
    found: InitSegment | Segment | None
    if parsed.kind == "init":
        found = await session.scalar(
            select(InitSegment).where(
                InitSegment.track_id == track, InitSegment.epoch == parsed.number
            )
        )
    else:
        found = await session.scalar(
            select(Segment).where(Segment.track_id == track, Segment.sequence == parsed.number)
        )
    # the number alone would also match another extension's name: the key must be this one
    return found if found is not None and found.object_key.endswith("/" + name) else None


@dataclass(frozen=True, slots=True)
class TrackProgress:
    """Where a camera's stored footage ends: numbering to continue from, and the time."""

    last_epoch: int
    last_sequence: int
    recorded_until: datetime | None


async def track_progress(session: AsyncSession, *, recording_id: str) -> dict[str, TrackProgress]:
    progress: dict[str, TrackProgress] = {}
    cameras = await session.scalars(select(Track.camera).where(Track.recording_id == recording_id))
    for camera in list(cameras):
        inits, segments = await track_objects(session, recording_id=recording_id, camera=camera)
        last = segments[-1] if segments else None
        progress[camera] = TrackProgress(
            last_epoch=max([i.epoch for i in inits] + [s.epoch for s in segments], default=0),
            last_sequence=last.sequence if last else 0,
            recorded_until=last.started_at + timedelta(seconds=last.duration_s) if last else None,
        )
    return progress


async def recording_protection(
    session: AsyncSession, *, recording_id: str
) -> ObjectProtection | None:
    """How a recording's objects are protected now: its retention and its case's legal hold.

    Read for every object rather than cached, so one stored after a hold is placed is held.
    """
    row = (
        await session.execute(
            select(Recording.retain_until, Recording.retention_mode, Case.legal_hold)
            .join(Hearing, Hearing.id == Recording.hearing_id)
            .join(Case, Case.id == Hearing.case_id)
            .where(Recording.id == recording_id)
        )
    ).one_or_none()
    if row is None:
        return None
    retain_until, mode, legal_hold = row
    if retain_until is None and not legal_hold:
        return None
    return ObjectProtection(
        retain_until=retain_until,
        mode=cast(RetentionMode, mode or "GOVERNANCE"),
        legal_hold=legal_hold,
    )


def add_case_parties(
    session: AsyncSession, *, case_id: str, parties: list[tuple[str, str]]
) -> None:
    """Attach (name, role) parties to a case; their position keeps the order given."""
    session.add_all(
        CaseParty(case_id=case_id, name=name, role=role, position=position)
        for position, (name, role) in enumerate(parties)
    )


async def replace_case_parties(
    session: AsyncSession, *, case_id: str, parties: list[tuple[str, str]]
) -> None:
    """The case's parties become exactly `parties`, in that order."""
    await session.execute(delete(CaseParty).where(CaseParty.case_id == case_id))
    add_case_parties(session, case_id=case_id, parties=parties)


async def case_parties(session: AsyncSession, *, case_ids: list[str]) -> dict[str, list[CaseParty]]:
    """The parties of several cases in one query, each case's in their given order."""
    found: dict[str, list[CaseParty]] = {case_id: [] for case_id in case_ids}
    rows = await session.scalars(
        select(CaseParty)
        .where(CaseParty.case_id.in_(case_ids))
        .order_by(CaseParty.case_id, CaseParty.position)
    )
    for party in rows:
        found[party.case_id].append(party)
    return found


def track_prefix(recording: Recording, camera: str) -> TrackPrefix:
    """Where a camera of this recording keeps its objects (keys.py decides the layout)."""
    return TrackPrefix(
        court_id=recording.court_id,
        courtroom_id=recording.courtroom_id,
        recording_id=recording.id,
        camera=camera,
        started_at=recording.started_at,
    )


async def recorded_cameras(
    session: AsyncSession, *, courtroom_id: str, cameras: list[str]
) -> list[str]:
    """Those of `cameras` with a track in some recording of the courtroom (sorted): footage
    stored under a camera's name keeps that camera in its room."""
    if not cameras:
        return []
    rows = await session.scalars(
        select(Track.camera)
        .join(Recording, Recording.id == Track.recording_id)
        .where(Recording.courtroom_id == courtroom_id, Track.camera.in_(cameras))
        .distinct()
        .order_by(Track.camera)
    )
    return list(rows)
