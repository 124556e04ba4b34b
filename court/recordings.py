"""Running recordings: every camera of a courtroom's hub pumped into a recording session.

A recording subscribes to each camera's hub with a queue deep enough that the recorder never
skips a frame; a camera whose publication ends leaves a gap (with the reason its publication
ended) until it publishes again. Stopping stores and indexes what was received, then seals.

A recording the court starts begins with each camera's pre-roll: the GOP the hub kept, from
the newest keyframe at or before the start command, so its first segment's program
date-time is at or before the Recording's `started_at` (which stays the command's time).
The pre-roll never reaches back past the moment another hearing left the courtroom, nor
past the hub's bounds (10 s): frames shown while another hearing (perhaps sealed) was in
session stay out of this one's recording.

A sitting moves from one hearing to the next by handing the cameras over: each camera's next
keyframe begins the next hearing's recording and ends the previous one's, which is then
sealed on its own; the cameras never stop.

Beside the cameras, a recording keeps the courtroom's program feed (court/program.py) as a
track named `program` while the court runs one: what the public was shown, switch by switch
(each switch a new epoch), and nothing over the slate. It is no camera: the slate is no gap
and no alarm, and live HLS of the program is served from it like a camera's.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from court.archiving import Archive
from court.errors import Unavailable
from court.hearings import begin_recording
from court.live.guard import LiveGuard
from court.live.live_parts import LiveParts
from court.monitoring.metrics import Timings
from court.principals import Principal
from court.program import PROGRAM
from court.publications import Publications
from court.sealing import seal_recording
from court.stored_playlists import store_recording_playlists
from court.visibility import require_courtroom, visible_recording
from recorder.retention import RetentionClass
from recorder.session import Departure, RecordingSession
from recorder.uploader import Uploader, unprotected
from storage.catalog import track_prefix
from storage.db import Database
from storage.keyring import KeyRing
from storage.keys import TrackPrefix
from storage.leases import Fenced
from storage.models import Hearing, Recording
from storage.objects import ObjectStore
from streaming.frames import EncodedFrame, SourceEnded
from streaming.hub import PREROLL_MAX_AGE_S, HubRegistry, Subscription

RECORDER_QUEUE_FRAMES = 30 * 60  # a minute of video: the recorder must never skip a frame
HANDOVER_LIMIT_S = PREROLL_MAX_AGE_S  # the longest GOP waited for when recordings hand over

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SegmentPlan:
    """How recordings cut and bound their spool (from the settings)."""

    spool_dir: Path
    segment_s: float
    fragment_s: float
    spool_max_bytes: int


@dataclass
class ActiveRecording:
    recording_id: str
    courtroom_id: str
    hearing_id: str
    session: RecordingSession
    started: float = field(default_factory=time.monotonic)
    pumps: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    # camera -> the subscription of the recording this one is handed over to
    successors: dict[str, Subscription] = field(default_factory=dict)

    def write_at_once(self, camera: str, frame: EncodedFrame) -> bool:
        """Write a frame as it arrives if the session can without waiting; never one of a
        camera being handed over (its pump looks for the next recording's first frame)."""
        return camera not in self.successors and self.session.write_at_once(camera, frame)


@dataclass(frozen=True, slots=True)
class RecordedFeed:
    """One camera of a running recording, as the watchdog sees it."""

    recording_id: str
    courtroom_id: str
    hearing_id: str  # who may hear of this feed's alarms follows the hearing's visibility
    camera: str
    silent_s: float | None  # since the camera's last frame; None if it never sent one
    recording_started: float  # monotonic


class Recordings:
    def __init__(
        self,
        *,
        db: Database,
        store: ObjectStore,
        keyring: KeyRing,
        hubs: HubRegistry,
        publications: Publications,
        archive: Archive,
        plan: SegmentPlan,
        timings: Timings,
    ) -> None:
        self._db = db
        self._store = store
        self._keyring = keyring
        self._hubs = hubs
        self._publications = publications
        self._archive = archive
        self.plan = plan
        self.live_parts = LiveParts(fragment_s=plan.fragment_s)  # LL-HLS parts, from memory
        self._running: dict[str, ActiveRecording] = {}
        self._background: set[asyncio.Task[None]] = set()
        self.uploader = Uploader(
            store,
            on_stored=archive.index,
            protection_for=archive.protection if store.keeps_protection else unprotected,
            on_uploaded=timings.upload.observe,
        )

    async def start_recording(
        self,
        recording: Recording,
        *,
        cameras: list[str],
        numbered_until: dict[str, tuple[int, int]] | None = None,
        preroll_since: datetime | None = None,
    ) -> None:
        """Record every camera of the courtroom; cameras that publish later join. With
        `preroll_since`, each camera starts with its kept GOP if that GOP's keyframe came
        after `preroll_since` (else at its next keyframe, as a resumed recording does)."""
        active = self._activate(recording, numbered_until)
        within = None
        if preroll_since is not None:
            within = max(0.0, (datetime.now(UTC) - preroll_since).total_seconds())
        for camera in [*cameras, PROGRAM]:
            hub = self._hubs.hub(recording.courtroom_id, camera)
            subscription = hub.subscribe(maxsize=RECORDER_QUEUE_FRAMES, preroll_within_s=within)
            self._follow(active, camera, subscription)
            hub.request_keyframe()

    async def hand_over(self, from_id: str, recording: Recording, *, cameras: list[str]) -> None:
        """Record the courtroom's cameras into `recording` instead of `from_id` without
        stopping them: each camera's next keyframe begins the new recording, and the old one
        keeps every frame before it, so nothing is lost or kept twice. Then the old one is
        stored, indexed and sealed as a stop would. A camera that is not publishing passes at
        once; one that sends no keyframe within HANDOVER_LIMIT_S (it ignores keyframe
        requests and keeps a longer GOP) passes then, losing the frames until its keyframe."""
        old = self._running.get(from_id)
        active = self._activate(recording, None)
        for camera in [*cameras, PROGRAM]:
            hub = self._hubs.hub(recording.courtroom_id, camera)
            subscription = hub.subscribe(maxsize=RECORDER_QUEUE_FRAMES, from_keyframe=True)
            self._follow(active, camera, subscription)
            if old is not None and camera in old.subscriptions and hub.publishing:
                old.successors[camera] = subscription
            hub.request_keyframe()
        if old is None:
            return
        for camera, subscription in old.subscriptions.items():
            if camera not in old.successors:
                subscription.close()  # its pump writes what came before, then ends
        late: set[asyncio.Task[None]] = set()
        if old.pumps:
            _, late = await asyncio.wait(old.pumps.values(), timeout=HANDOVER_LIMIT_S)
        if late:
            log.warning(
                "recording %s: %d camera(s) sent no keyframe within %.0f s of the hand-over",
                from_id,
                len(late),
                HANDOVER_LIMIT_S,
            )
        await self.stop_recording(from_id)

    def _activate(
        self, recording: Recording, numbered_until: dict[str, tuple[int, int]] | None
    ) -> ActiveRecording:
        """A running recording with no camera yet: its session, spool and archive follower."""

        def prefix_for(camera: str) -> TrackPrefix:
            return track_prefix(recording, camera)

        def request_keyframe(camera: str) -> None:
            self._hubs.hub(recording.courtroom_id, camera).request_keyframe()

        session = RecordingSession(
            recording_id=recording.id,
            spool_dir=self.plan.spool_dir / recording.id,
            uploader=self.uploader,
            prefix_for=prefix_for,
            request_keyframe=request_keyframe,
            target_segment_s=self.plan.segment_s,
            fragment_s=self.plan.fragment_s,
            numbered_until=numbered_until,
            accepting=lambda: self.uploader.backlog_bytes < self.plan.spool_max_bytes,
            on_held_back=lambda camera, departure: self._spawn_gap(
                recording.id, camera, "spool_full", departure
            ),
            live=self.live_parts.sink(recording.id),
        )
        active = ActiveRecording(
            recording.id, recording.courtroom_id, recording.hearing_id, session
        )
        self._running[recording.id] = active
        self._archive.follow(recording.id, recording.courtroom_id)
        return active

    def _follow(self, active: ActiveRecording, camera: str, subscription: Subscription) -> None:
        active.subscriptions[camera] = subscription
        active.pumps[camera] = asyncio.create_task(
            self._pump(active, camera, subscription),
            name=f"record {active.recording_id} {camera}",
        )

    async def _pump(self, active: ActiveRecording, camera: str, subscription: Subscription) -> None:
        """Write the camera's frames until its subscription closes, or until the frame the
        recording it is handed over to begins with. While it waits, a frame the session can
        write at once is written as it arrives, without waking this task."""
        subscription.take_at_once(functools.partial(active.write_at_once, camera))
        async for item in subscription:
            successor = active.successors.get(camera)
            if successor is not None and item is successor.first_frame:
                subscription.close()
                return
            if isinstance(item, SourceEnded):
                departure = active.session.camera_left(camera)
                if camera == PROGRAM:
                    continue  # the slate: nothing was to be shown, so nothing is missing
                reason = self._publications.end_reason(active.courtroom_id, camera)
                await self._archive.open_gap(active.recording_id, camera, reason, departure)
            else:
                await active.session.write(camera, item)  # waits only while its disk lags

    def _spawn_gap(self, recording_id: str, camera: str, reason: str, departure: Departure) -> None:
        gap = self._archive.open_gap(recording_id, camera, reason, departure)
        task = asyncio.create_task(gap)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def stop_recording(self, recording_id: str, *, status: str = "stopped") -> None:
        """Store and index everything received, then close and sign the recording."""
        active = self._running.pop(recording_id, None)
        if active is not None:
            for subscription in active.subscriptions.values():
                subscription.close()  # the pump writes what is queued, then ends
            await asyncio.gather(*active.pumps.values())
            await active.session.stop()
            await self.uploader.drain(recording_id)
        try:
            async with self._db.session() as session:
                await self._archive.check_fence(session, recording_id)
                recording = await session.get(Recording, recording_id)
                if recording is None:
                    return
                recording.status = status
                recording.stopped_at = recording.stopped_at or datetime.now(UTC)
                await self._archive.close_recording_gaps(
                    session, recording_id, recording.stopped_at
                )
                await session.commit()
        except Fenced as fenced:  # what came here is stored; the holder ends and seals it
            log.warning("recording %s not ended here: %s", recording_id, fenced)
            raise Unavailable("another node records this courtroom now: ask again") from None
        await seal_recording(
            db=self._db, store=self._store, keyring=self._keyring, recording_id=recording_id
        )
        try:  # so that even its first seek renders nothing
            await store_recording_playlists(self._db, recording_id)
        except SQLAlchemyError:  # only a head start: the first seek renders them instead
            log.warning("recording %s: playlists not stored", recording_id, exc_info=True)

    async def abandon(self, recording_id: str) -> dict[str, tuple[int, int]]:
        """Stop recording here without ending the recording (another node goes on with it):
        open segments are finished into the spool and uploaded; the index row is untouched.
        Returns the numbers each camera used. Needs no index: a node cut off from it can."""
        active = self._running.pop(recording_id, None)
        if active is None:
            return {}
        for pump in active.pumps.values():
            pump.cancel()
        for subscription in active.subscriptions.values():
            subscription.close()
        await asyncio.gather(*active.pumps.values(), return_exceptions=True)
        await active.session.stop()
        return active.session.numbered()

    def running_in(self, courtroom_id: str) -> list[str]:
        return [r.recording_id for r in self._running.values() if r.courtroom_id == courtroom_id]

    def is_running(self, recording_id: str) -> bool:
        return recording_id in self._running

    def numbered(self) -> dict[str, dict[str, dict[str, tuple[int, int]]]]:
        """courtroom -> recording -> camera -> the (epoch, sequence) used so far."""
        numbers: dict[str, dict[str, dict[str, tuple[int, int]]]] = {}
        for active in self._running.values():
            numbers.setdefault(active.courtroom_id, {})[active.recording_id] = (
                active.session.numbered()
            )
        return numbers

    def recorded_feeds(self) -> list[RecordedFeed]:
        """Every camera of every running recording, with how long it has been silent."""
        return [
            RecordedFeed(
                recording_id=active.recording_id,
                courtroom_id=active.courtroom_id,
                hearing_id=active.hearing_id,
                camera=camera,
                silent_s=self._hubs.hub(active.courtroom_id, camera).seconds_since_last_frame(),
                recording_started=active.started,
            )
            for active in self._running.values()
            for camera in active.subscriptions
            if camera != PROGRAM
        ]

    def spool_usage(self) -> tuple[int, int]:
        """(bytes waiting in the spool for the store, the configured bound)."""
        return self.uploader.backlog_bytes, self.plan.spool_max_bytes

    def spool_writes_behind(self) -> int:
        """Spool writes (fragments, segment closes) queued for the disk, every recording."""
        return sum(active.session.spool_writes_behind() for active in self._running.values())

    def running_count(self) -> int:
        return len(self._running)

    async def close(self) -> None:
        """Graceful shutdown: open segments finished and uploaded, recordings interrupted."""
        for recording_id in list(self._running):
            with contextlib.suppress(Unavailable):  # logged: the node holding it goes on
                await self.stop_recording(recording_id, status="interrupted")
        await self.uploader.close()


async def stop_for(
    session: AsyncSession, principal: Principal, recordings: Recordings, recording_id: str
) -> Recording:
    """Stop a recording the caller may see and operate; everything already received is
    segmented, stored and indexed before this returns. A stopped one is left as it is."""
    recording = await visible_recording(session, principal, recording_id)
    require_courtroom(principal, recording.courtroom_id)
    if recording.status == "recording":
        await recordings.stop_recording(recording.id)
        await session.refresh(recording)
    return recording


async def record_hearing(
    session: AsyncSession,
    principal: Principal,
    hearing: Hearing,
    *,
    retention_classes: dict[str, RetentionClass],
    recordings: Recordings,
    live_guard: LiveGuard,
) -> Recording:
    """Start recording a hearing in one step: its index row (with the retention its case's
    class gives), the hearing in session, the viewers judged again, then every camera."""
    recording, cameras = await begin_recording(
        session, principal, hearing, retention_classes=retention_classes
    )
    await live_guard.check_now()  # viewers of a hearing that was previewing are judged
    since = await preroll_since(session, recording)
    await recordings.start_recording(recording, cameras=cameras, preroll_since=since)
    return recording


async def preroll_since(session: AsyncSession, recording: Recording) -> datetime:
    """How far back a new recording may take frames: not before the last time another
    hearing of the courtroom closed (starting this one closes the hearing in session, so that
    is then now), nor more than the hub keeps. A room idle since may lend its current GOP:
    staff could watch it, and it is at most a few seconds before the start command."""
    ended = await session.scalar(
        select(func.max(Hearing.actual_end)).where(
            Hearing.courtroom_id == recording.courtroom_id, Hearing.id != recording.hearing_id
        )
    )
    floor = recording.started_at - timedelta(seconds=PREROLL_MAX_AGE_S)
    return floor if ended is None else max(floor, ended)
