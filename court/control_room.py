"""The live side of one Courtcast process: publications, hubs and running recordings.

It wires `streaming` (WHIP publications feeding per-camera hubs) to `recorder`
(sessions writing segments) and indexes what the uploader confirms. No HTTP
here: the routes translate its exceptions.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from sqlalchemy import select

from court.errors import Conflict
from recorder.integrity import build_manifest
from recorder.records import InitRecord, SegmentRecord
from recorder.recovery import recover_track
from recorder.session import RecordingSession
from recorder.uploader import Uploader
from storage.audit import audit_head
from storage.catalog import (
    add_init_segment,
    add_segment,
    close_gaps,
    open_gap,
    recording_contents,
    recording_gaps,
    recording_protection,
    track_prefix,
    track_progress,
)
from storage.db import Database
from storage.keyring import KeyRing
from storage.keys import TrackPrefix
from storage.models import Case, Courtroom, Gap, Hearing, Recording
from storage.objects import ObjectProtection, ObjectStore, follow_legal_hold
from streaming.frames import SourceEnded
from streaming.hub import HubRegistry, Subscription
from streaming.whip import WhipPublication

log = logging.getLogger(__name__)

SOFTWARE_VERSION = f"courtcast {version('courtcast')}"
GAP_DETAILS = {
    "publisher_left": "the camera's WHIP publication ended",
    "spool_full": "the local spool reached its size bound while the store was not taking uploads",
    "token_revoked": "the camera's token was revoked or expired, so its publication was ended",
}

RECORDER_QUEUE_FRAMES = 30 * 60  # a minute of video: the recorder must never skip a frame


class CameraBusy(Conflict):
    """A second publisher tried to take a camera that is already publishing."""


@dataclass
class ActiveRecording:
    recording_id: str
    courtroom_id: str
    hearing_id: str
    session: RecordingSession
    started: float = field(default_factory=time.monotonic)
    pumps: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    subscriptions: dict[str, Subscription] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RecordedFeed:
    """One camera of a running recording, as the watchdog sees it."""

    recording_id: str
    courtroom_id: str
    hearing_id: str  # who may hear of this feed's alarms follows the hearing's visibility
    camera: str
    silent_s: float | None  # since the camera's last frame; None if it never sent one
    recording_started: float  # monotonic


class ControlRoom:
    def __init__(
        self,
        *,
        db: Database,
        store: ObjectStore,
        keyring: KeyRing,
        spool_dir: Path,
        segment_s: float,
        fragment_s: float,
        spool_max_bytes: int,
    ) -> None:
        self._db = db
        self._store = store
        self._keyring = keyring
        self._spool_dir = spool_dir
        self._segment_s = segment_s
        self._fragment_s = fragment_s
        self._spool_max_bytes = spool_max_bytes
        self.hubs = HubRegistry()
        self._publications: dict[tuple[str, str], WhipPublication | None] = {}
        self._publishers: dict[tuple[str, str], str | None] = {}  # the token id that published
        self._end_reasons: dict[tuple[str, str], str] = {}  # why we ended a publication
        self._recordings: dict[str, ActiveRecording] = {}
        self._open_gaps: set[tuple[str, str]] = set()  # (recording, camera) awaiting footage
        self._background: set[asyncio.Task[None]] = set()
        self.uploader = Uploader(store, on_stored=self._index, protection_for=self._protection)

    async def start(self) -> None:
        """Recover what the previous process left: upload its spool, resume its recordings.

        A recording that was running when the process died goes on in the same
        recording: each camera's gap (reason "crash") opens where its stored footage
        ends and closes at its first new segment.
        """
        self._spool_dir.mkdir(parents=True, exist_ok=True)
        async with self._db.session() as session:
            running = list(
                await session.scalars(select(Recording).where(Recording.status == "recording"))
            )
            cameras = {
                room.id: [camera.name for camera in room.cameras]
                for room in await session.scalars(select(Courtroom))
            }
        for directory in sorted(p for p in self._spool_dir.iterdir() if p.is_dir()):
            if directory.name not in {recording.id for recording in running}:
                for camera_dir in sorted(p for p in directory.iterdir() if p.is_dir()):
                    for job in recover_track(camera_dir).jobs:
                        self.uploader.submit(job)
        for recording in running:
            await self._resume(recording, cameras.get(recording.courtroom_id, []))

    async def _resume(self, recording: Recording, cameras: list[str]) -> None:
        spooled = {}
        directory = self._spool_dir / recording.id
        if directory.exists():
            spooled = {
                track.camera: track
                for track in map(
                    recover_track, sorted(p for p in directory.iterdir() if p.is_dir())
                )
            }
        async with self._db.session() as session:
            stored = await track_progress(session, recording_id=recording.id)
            numbered_until: dict[str, tuple[int, int]] = {}
            for camera in sorted(set(stored) | set(spooled)):
                index, spool = stored.get(camera), spooled.get(camera)
                ends = [t.recorded_until for t in (index, spool) if t and t.recorded_until]
                numbered_until[camera] = (
                    max(t.last_epoch for t in (index, spool) if t),
                    max(t.last_sequence for t in (index, spool) if t),
                )
                if ends:
                    session.add(
                        Gap(
                            recording_id=recording.id,
                            camera=camera,
                            reason="crash",
                            started_at=max(ends),
                            detail="the recorder process stopped without shutting down",
                        )
                    )
                    self._open_gaps.add((recording.id, camera))
            await session.commit()
        for track in spooled.values():
            for job in track.jobs:
                self.uploader.submit(job)
        log.warning("resuming recording %s after an unclean stop", recording.id)
        await self.start_recording(recording, cameras=cameras, numbered_until=numbered_until)

    # -- publications -------------------------------------------------------------------

    def publishing_cameras(self, courtroom_id: str) -> list[str]:
        return sorted(
            camera
            for (room, camera), publication in self._publications.items()
            if room == courtroom_id and publication is not None
        )

    async def publish(
        self, courtroom_id: str, camera: str, offer_sdp: str, *, token_id: str | None
    ) -> WhipPublication:
        """Answer a WHIP offer; raises CameraBusy or ValueError (bad offer).

        `token_id` is the publisher's token (None for the installation's admin
        token), so revoking it ends the publication (`end_publication`).
        """
        key = (courtroom_id, camera)
        hub = self.hubs.hub(courtroom_id, camera)
        current = self._publications.get(key)
        if current is not None and current.is_stale(hub.seconds_since_last_frame()):
            # The camera lost its network and came back before the old call timed out.
            log.warning("camera %s/%s reconnected; dropping its stale publication", *key)
            await current.close()
        if key in self._publications:
            raise CameraBusy(f"camera {camera!r} is already publishing")
        self._publications[key] = None  # reserved while the answer is built
        try:
            publication = await WhipPublication.create(
                offer_sdp,
                hub,
                on_ended=lambda ended: self._publication_ended(key, ended),
            )
        except BaseException:
            del self._publications[key]
            raise
        self._publications[key] = publication
        self._publishers[key] = token_id
        self._end_reasons.pop(key, None)
        return publication

    def publishers(self) -> dict[tuple[str, str], str | None]:
        """(courtroom, camera) -> the token id of each running publication."""
        return {key: self._publishers.get(key) for key, p in self._publications.items() if p}

    async def end_publication(self, courtroom_id: str, camera: str, *, reason: str) -> None:
        """Hang up a camera for `reason` (a gap reason): its track's gap says why."""
        key = (courtroom_id, camera)
        publication = self._publications.get(key)
        if publication is not None:
            log.warning("ending the publication of camera %s/%s: %s", *key, reason)
            self._end_reasons[key] = reason
            await publication.close()

    async def unpublish(self, courtroom_id: str, camera: str, publication_id: str) -> bool:
        publication = self._publications.get((courtroom_id, camera))
        if publication is None or publication.id != publication_id:
            return False
        await publication.close()
        return True

    def _publication_ended(self, key: tuple[str, str], publication: WhipPublication) -> None:
        if self._publications.get(key) is publication:
            del self._publications[key]
            self._publishers.pop(key, None)

    # -- recordings ---------------------------------------------------------------------

    async def start_recording(
        self,
        recording: Recording,
        *,
        cameras: list[str],
        numbered_until: dict[str, tuple[int, int]] | None = None,
    ) -> None:
        """Record every camera of the courtroom; cameras that publish later join."""

        def prefix_for(camera: str) -> TrackPrefix:
            return track_prefix(recording, camera)

        def request_keyframe(camera: str) -> None:
            self.hubs.hub(recording.courtroom_id, camera).request_keyframe()

        session = RecordingSession(
            recording_id=recording.id,
            spool_dir=self._spool_dir / recording.id,
            uploader=self.uploader,
            prefix_for=prefix_for,
            request_keyframe=request_keyframe,
            target_segment_s=self._segment_s,
            fragment_s=self._fragment_s,
            numbered_until=numbered_until,
            accepting=lambda: self.uploader.backlog_bytes < self._spool_max_bytes,
            on_held_back=lambda camera: self._spawn_gap(recording.id, camera, "spool_full"),
        )
        active = ActiveRecording(
            recording.id, recording.courtroom_id, recording.hearing_id, session
        )
        for camera in cameras:
            hub = self.hubs.hub(recording.courtroom_id, camera)
            subscription = hub.subscribe(maxsize=RECORDER_QUEUE_FRAMES)
            active.subscriptions[camera] = subscription
            active.pumps[camera] = asyncio.create_task(
                self._pump(session, recording.courtroom_id, camera, subscription),
                name=f"record {recording.id} {camera}",
            )
            hub.request_keyframe()
        self._recordings[recording.id] = active

    async def _pump(
        self,
        session: RecordingSession,
        courtroom_id: str,
        camera: str,
        subscription: Subscription,
    ) -> None:
        async for item in subscription:
            if isinstance(item, SourceEnded):
                session.camera_left(camera)
                reason = self._end_reasons.pop((courtroom_id, camera), "publisher_left")
                await self._open_gap(session.recording_id, camera, reason)
            else:
                session.write(camera, item)

    def _spawn_gap(self, recording_id: str, camera: str, reason: str) -> None:
        task = asyncio.create_task(self._open_gap(recording_id, camera, reason))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _open_gap(self, recording_id: str, camera: str, reason: str) -> None:
        """Footage stops here for `reason`; the gap runs until the camera's next segment."""
        async with self._db.session() as db_session:
            await open_gap(
                db_session,
                recording_id=recording_id,
                camera=camera,
                reason=reason,
                at=datetime.now(UTC),
                detail=GAP_DETAILS[reason],
            )
            await db_session.commit()
        self._open_gaps.add((recording_id, camera))

    async def stop_recording(self, recording_id: str, *, status: str = "stopped") -> None:
        """Store and index everything received, then close and sign the recording."""
        active = self._recordings.pop(recording_id, None)
        if active is not None:
            for subscription in active.subscriptions.values():
                subscription.close()  # the pump writes what is queued, then ends
            await asyncio.gather(*active.pumps.values())
            active.session.stop()
            await self.uploader.drain(recording_id)
        async with self._db.session() as session:
            recording = await session.get(Recording, recording_id)
            if recording is None:
                return
            recording.status = status
            recording.stopped_at = recording.stopped_at or datetime.now(UTC)
            await close_gaps(session, recording_id=recording_id, at=recording.stopped_at)
            await session.commit()
        self._open_gaps = {gap for gap in self._open_gaps if gap[0] != recording_id}
        await self._seal(recording_id)

    async def _seal(self, recording_id: str) -> None:
        """Write the signed manifest beside the segments and note its hash in the index."""
        async with self._db.session() as session:
            recording = await session.get(Recording, recording_id)
            assert recording is not None
            hearing = await session.get(Hearing, recording.hearing_id)
            case = await session.get(Case, hearing.case_id) if hearing else None
            manifest = build_manifest(
                recording={
                    "id": recording.id,
                    "hearing_id": recording.hearing_id,
                    "hearing_title": hearing.title if hearing else None,
                    "case_number": case.number if case else None,
                    "court_id": recording.court_id,
                    "courtroom_id": recording.courtroom_id,
                    "status": recording.status,
                    "started_at": recording.started_at.isoformat(),
                    "stopped_at": recording.stopped_at.isoformat()
                    if recording.stopped_at
                    else None,
                },
                tracks=await recording_contents(session, recording_id=recording_id),
                gaps=[
                    {
                        "camera": gap.camera,
                        "reason": gap.reason,
                        "started_at": gap.started_at.isoformat(),
                        "ended_at": _iso(gap.ended_at),
                        "detail": gap.detail,
                    }
                    for gap in await recording_gaps(session, recording_id=recording_id)
                ],
                software_version=SOFTWARE_VERSION,
                audit_head=await audit_head(session),
            )
            sealed = self._keyring.seal(manifest)
            key = track_prefix(recording, "-").manifest_key()
            protection = await recording_protection(session, recording_id=recording_id)
            stored = await self._store.put_bytes(
                key, sealed, content_type="application/json", protection=protection
            )
            recording.manifest_key = key
            recording.manifest_sha256 = stored.sha256
            recording.manifest_version_id = stored.version_id
            await session.commit()
            now = await recording_protection(session, recording_id=recording_id)
            await follow_legal_hold(self._store, key, written=protection, now=now)

    async def _protection(self, recording_id: str) -> ObjectProtection | None:
        """Not cached: a legal hold placed mid-recording must reach the next segment."""
        async with self._db.session() as session:
            return await recording_protection(session, recording_id=recording_id)

    async def _index(self, record: InitRecord | SegmentRecord) -> None:
        """Called by the uploader once the store confirmed an object (`record.version_id` is
        the version it wrote); the spool copy goes after."""
        async with self._db.session() as session:
            if isinstance(record, InitRecord):
                await add_init_segment(
                    session,
                    recording_id=record.recording_id,
                    camera=record.camera,
                    epoch=record.epoch,
                    object_key=record.key,
                    size=record.size,
                    sha256=record.sha256,
                    codecs=record.codecs,
                    width=record.width,
                    height=record.height,
                    version_id=record.version_id,
                )
            else:
                await add_segment(
                    session,
                    recording_id=record.recording_id,
                    camera=record.camera,
                    sequence=record.sequence,
                    epoch=record.epoch,
                    object_key=record.key,
                    extension=record.extension,
                    started_at=record.started_at,
                    duration_s=record.duration_s,
                    size=record.size,
                    sha256=record.sha256,
                    frames=record.frames,
                    discontinuity=record.discontinuity,
                    version_id=record.version_id,
                )
                gap = (record.recording_id, record.camera)
                if gap in self._open_gaps and record.discontinuity:
                    await close_gaps(
                        session,
                        recording_id=record.recording_id,
                        camera=record.camera,
                        at=record.started_at,
                    )
                    self._open_gaps.discard(gap)
            await session.commit()

    @property
    def keyring(self) -> KeyRing:
        """The installation's keys: manifests and certified clips are signed with them."""
        return self._keyring

    def recorded_feeds(self) -> list[RecordedFeed]:
        """Every camera of every running recording, with how long it has been silent."""
        return [
            RecordedFeed(
                recording_id=active.recording_id,
                courtroom_id=active.courtroom_id,
                hearing_id=active.hearing_id,
                camera=camera,
                silent_s=self.hubs.hub(active.courtroom_id, camera).seconds_since_last_frame(),
                recording_started=active.started,
            )
            for active in self._recordings.values()
            for camera in active.subscriptions
        ]

    def spool_usage(self) -> tuple[int, int]:
        """(bytes waiting in the spool for the store, the configured bound)."""
        return self.uploader.backlog_bytes, self._spool_max_bytes

    def stats(self) -> dict[str, Any]:
        return {
            "publishers": sum(1 for p in self._publications.values() if p is not None),
            "recordings": len(self._recordings),
            "upload_backlog": self.uploader.backlog(),
        }

    async def close(self) -> None:
        """Graceful shutdown: publishers are hung up, open segments finished and uploaded."""
        for publication in [p for p in self._publications.values() if p is not None]:
            await publication.close()
        for recording_id in list(self._recordings):
            await self.stop_recording(recording_id, status="interrupted")
        await self.uploader.close()


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
