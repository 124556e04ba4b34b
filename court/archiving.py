"""What the store confirmed goes into the index: objects, the gaps between them, protection.

The uploader calls `index` once an object is stored (never before: the index must not name
bytes the store lacks); gaps open when footage stops for a reason and close at the camera's
first segment numbered past the footage before the gap (a new epoch). Numbers, not stamps,
say which footage came after: the stamps come from the camera's clock, which may run behind
the server's that dated the gap.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from court.monitoring.metrics import Timings
from recorder.session import Departure
from storage.archive import InitRecord, SegmentRecord
from storage.catalog import add_init_segment, add_segment, recording_protection
from storage.db import Database
from storage.gaps import add_gap, close_gaps, end_gaps, open_gaps
from storage.leases import Fence, Fenced, check_fence
from storage.objects import ObjectProtection

log = logging.getLogger(__name__)

GAP_DETAILS = {
    "publisher_left": "the camera's WHIP publication ended",
    "spool_full": "the local spool reached its size bound while the store was not taking uploads",
    "token_revoked": "the camera's token was revoked or expired, so its publication was ended",
    "crash": "the recorder process stopped without shutting down",
    "node_lost": "the node recording this courtroom was lost; another node took the recording over",
    "handover": "the node recording this courtroom was drained and handed the recording over",
}


@dataclass(frozen=True, slots=True)
class FootageEnd:
    """Where a camera's footage before a break ended, and the highest epoch it used."""

    at: datetime
    last_epoch: int


@dataclass(frozen=True, slots=True)
class _AwaitedGap:
    """A gap opened here, open until its camera's first segment of an epoch past `last_epoch`."""

    gap_id: str
    last_epoch: int


class Archive:
    def __init__(
        self, db: Database, timings: Timings, fence_for: Callable[[str], Fence | None]
    ) -> None:
        """`fence_for(courtroom)` is the lease fence this node's index writes carry for it."""
        self._db = db
        self._timings = timings
        self._fence_for = fence_for
        self._courtrooms: dict[str, str] = {}  # recording -> courtroom, recorded on this node
        # (recording, camera) -> its gaps opened here, awaiting footage
        self._open_gaps: dict[tuple[str, str], list[_AwaitedGap]] = {}
        self._tracks: dict[tuple[str, str], str] = {}  # (recording, camera) -> its track's id

    def follow(self, recording_id: str, courtroom_id: str) -> None:
        """The recording is recorded here: its index writes carry its courtroom's fence from
        now on, even after this node lost the lease (then they are refused)."""
        self._courtrooms[recording_id] = courtroom_id

    async def index(self, record: InitRecord | SegmentRecord) -> None:
        """Called by the uploader once the store confirmed an object (`record.version_id` is
        the version it wrote); the spool copy goes after. Footage recovered from a spool of
        a recording never recorded by this process is indexed without a fence."""
        fence = self._fence(record.recording_id)
        if isinstance(record, InitRecord):
            async with self._db.session() as session:
                await add_init_segment(session, record, fence)
                await session.commit()
        else:
            await self._index_segment(record, fence)
        self._timings.indexed(record)

    def _fence(self, recording_id: str) -> Fence | None:
        """The fence this node's index writes for the recording carry (None: not recorded here)."""
        courtroom_id = self._courtrooms.get(recording_id)
        return self._fence_for(courtroom_id) if courtroom_id else None

    async def _index_segment(self, record: SegmentRecord, fence: Fence | None) -> None:
        """The segment's row, and the end of its camera's gaps whose footage it brings back.
        What this process keeps of it (the track id, the gaps no longer awaited) is kept
        once committed: a write that failed is retried whole, and its gap must still close
        where the footage came back, not stay open until the recording stops."""
        track = (record.recording_id, record.camera)
        ending = [
            gap.gap_id for gap in self._open_gaps.get(track, ()) if record.epoch > gap.last_epoch
        ]
        async with self._db.session() as session:
            track_id = await add_segment(session, record, fence, track_id=self._tracks.get(track))
            if ending:
                await end_gaps(session, ending, record.started_at)
            await session.commit()
        self._tracks[track] = track_id
        if ending:  # a gap opened meanwhile awaits later footage
            later = [gap for gap in self._open_gaps.pop(track, []) if gap.gap_id not in ending]
            if later:
                self._open_gaps[track] = later

    async def protection(self, recording_id: str) -> ObjectProtection | None:
        """Not cached: a legal hold placed mid-recording must reach the next segment."""
        async with self._db.session() as session:
            return await recording_protection(session, recording_id=recording_id)

    async def open_gap(
        self, recording_id: str, camera: str, reason: str, departure: Departure
    ) -> None:
        """Footage stops here for `reason`; the gap runs until the camera's next footage.

        After footage (the camera was recorded since its last gap opened): a new gap, even
        while the last one is still open in the index, since the footage between them, which
        closes that one, may not be stored yet. Otherwise the gap open goes on, if any (the
        spool filled while the camera was away). It begins where the footage ended.

        Not once this node lost the courtroom: the node holding it now tells the break."""
        at = departure.recorded_until or datetime.now(UTC)
        async with self._db.session() as session:
            try:
                gap_id = await add_gap(
                    session,
                    recording_id=recording_id,
                    camera=camera,
                    reason=reason,
                    at=at,
                    detail=GAP_DETAILS[reason],
                    after_epoch=departure.last_epoch,
                    unless_open=not departure.footage_ended,
                    fence=self._fence(recording_id),
                )
            except Fenced as fenced:
                log.error(
                    "the %s gap of %s/%s is not indexed: %s", reason, recording_id, camera, fenced
                )
                return
            await session.commit()
        self._await(recording_id, camera, _AwaitedGap(gap_id, departure.last_epoch))

    async def open_break_gaps(
        self,
        recording_id: str,
        footage: dict[str, FootageEnd],
        reason: str,
        numbered_until: dict[str, tuple[int, int]],
    ) -> None:
        """Each camera's footage of a recording another process left (`reason`: crash,
        node_lost, handover) ended at `footage[camera]`; what this process records goes past
        (epoch, sequence) `numbered_until[camera]`.

        Every gap of the recording still open is awaited here, the ones the other process
        opened too (a camera that left before the break): only that process knew them, and
        they would otherwise stay open until the recording stops. A camera whose footage had
        stopped before the break (nothing numbered past its open gap) gets no second gap."""

        def break_epoch(camera: str) -> int:
            """The epoch this process's footage of `camera` comes after."""
            return numbered_until.get(camera, (0, 0))[0]

        async with self._db.session() as session:
            already = await open_gaps(session, recording_id=recording_id)
            awaiting = [(gap.id, gap.camera, gap.after_epoch) for gap in already]
            for camera, end in footage.items():
                if any(
                    gap.camera == camera
                    and gap.after_epoch is not None
                    and gap.after_epoch >= end.last_epoch
                    for gap in already
                ):
                    continue
                epoch = break_epoch(camera)
                gap_id = await add_gap(
                    session,
                    recording_id=recording_id,
                    camera=camera,
                    reason=reason,
                    at=end.at,
                    detail=GAP_DETAILS[reason],
                    after_epoch=epoch,
                )
                awaiting.append((gap_id, camera, epoch))
            await session.commit()
        for gap_id, gap_camera, after_epoch in awaiting:
            if gap_camera is None:
                continue  # a gap of the whole recording: no camera's footage ends it
            if after_epoch is None:  # opened before migration 0025: past the break, then
                after_epoch = break_epoch(gap_camera)
            self._await(recording_id, gap_camera, _AwaitedGap(gap_id, after_epoch))

    def _await(self, recording_id: str, camera: str, gap: _AwaitedGap) -> None:
        awaited = self._open_gaps.setdefault((recording_id, camera), [])
        if all(known.gap_id != gap.gap_id for known in awaited):  # a gap going on is known
            awaited.append(gap)

    async def check_fence(self, session: AsyncSession, recording_id: str) -> None:
        """Raise Fenced, in the caller's transaction, if this node recorded the recording and
        has lost its courtroom since: then the node holding it ends it, not this one."""
        fence = self._fence(recording_id)
        if fence is not None:
            await check_fence(session, fence)

    async def close_recording_gaps(
        self, session: AsyncSession, recording_id: str, at: datetime
    ) -> None:
        """The recording ended: every gap still open ends with it (in the caller's commit)."""
        await close_gaps(session, recording_id=recording_id, at=at)
        self._open_gaps = {
            key: starts for key, starts in self._open_gaps.items() if key[0] != recording_id
        }
        self._tracks = {key: track for key, track in self._tracks.items() if key[0] != recording_id}
