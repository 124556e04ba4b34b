"""What the store confirmed goes into the index: objects, the gaps between them, protection.

The uploader calls `index` once an object is stored (never before: the index must not name
bytes the store lacks); gaps open when footage stops for a reason and close at the camera's
next segment, which starts a new epoch (`discontinuity`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from court.monitoring.metrics import Timings
from storage.archive import InitRecord, SegmentRecord
from storage.catalog import add_init_segment, add_segment, recording_protection
from storage.db import Database
from storage.gaps import add_gap, close_gaps, open_gap
from storage.leases import Fence
from storage.objects import ObjectProtection

GAP_DETAILS = {
    "publisher_left": "the camera's WHIP publication ended",
    "spool_full": "the local spool reached its size bound while the store was not taking uploads",
    "token_revoked": "the camera's token was revoked or expired, so its publication was ended",
    "crash": "the recorder process stopped without shutting down",
    "node_lost": "the node recording this courtroom was lost; another node took the recording over",
    "handover": "the node recording this courtroom was drained and handed the recording over",
}


class Archive:
    def __init__(
        self, db: Database, timings: Timings, fence_for: Callable[[str], Fence | None]
    ) -> None:
        """`fence_for(courtroom)` is the lease fence this node's index writes carry for it."""
        self._db = db
        self._timings = timings
        self._fence_for = fence_for
        self._courtrooms: dict[str, str] = {}  # recording -> courtroom, recorded on this node
        self._open_gaps: set[tuple[str, str]] = set()  # (recording, camera) awaiting footage
        self._tracks: dict[tuple[str, str], str] = {}  # (recording, camera) -> its track's id

    def follow(self, recording_id: str, courtroom_id: str) -> None:
        """The recording is recorded here: its index writes carry its courtroom's fence from
        now on, even after this node lost the lease (then they are refused)."""
        self._courtrooms[recording_id] = courtroom_id

    async def index(self, record: InitRecord | SegmentRecord) -> None:
        """Called by the uploader once the store confirmed an object (`record.version_id` is
        the version it wrote); the spool copy goes after. Footage recovered from a spool of
        a recording never recorded by this process is indexed without a fence."""
        courtroom_id = self._courtrooms.get(record.recording_id)
        fence = self._fence_for(courtroom_id) if courtroom_id else None
        track = (record.recording_id, record.camera)
        async with self._db.session() as session:
            if isinstance(record, InitRecord):
                await add_init_segment(session, record, fence)
            else:
                track_id = await add_segment(
                    session, record, fence, track_id=self._tracks.get(track)
                )
                if track in self._open_gaps and record.discontinuity:
                    await close_gaps(
                        session,
                        recording_id=record.recording_id,
                        camera=record.camera,
                        at=record.started_at,
                    )
                    self._open_gaps.discard(track)
            await session.commit()
        if isinstance(record, SegmentRecord):  # kept once committed: a track made here exists
            self._tracks[track] = track_id
        self._timings.indexed(record)

    async def protection(self, recording_id: str) -> ObjectProtection | None:
        """Not cached: a legal hold placed mid-recording must reach the next segment."""
        async with self._db.session() as session:
            return await recording_protection(session, recording_id=recording_id)

    async def open_gap(self, recording_id: str, camera: str, reason: str) -> None:
        """Footage stops here for `reason`; the gap runs until the camera's next segment."""
        async with self._db.session() as session:
            await open_gap(
                session,
                recording_id=recording_id,
                camera=camera,
                reason=reason,
                at=datetime.now(UTC),
                detail=GAP_DETAILS[reason],
            )
            await session.commit()
        self._open_gaps.add((recording_id, camera))

    async def open_break_gaps(
        self, recording_id: str, ends: dict[str, datetime], reason: str
    ) -> None:
        """Each camera's footage of a recording another process left (`reason`: crash,
        node_lost, handover) ended at `ends[camera]`."""
        async with self._db.session() as session:
            for camera, at in ends.items():
                add_gap(
                    session,
                    recording_id=recording_id,
                    camera=camera,
                    reason=reason,
                    at=at,
                    detail=GAP_DETAILS[reason],
                )
                self._open_gaps.add((recording_id, camera))
            await session.commit()

    async def close_recording_gaps(
        self, session: AsyncSession, recording_id: str, at: datetime
    ) -> None:
        """The recording ended: every gap still open ends with it (in the caller's commit)."""
        await close_gaps(session, recording_id=recording_id, at=at)
        self._open_gaps = {gap for gap in self._open_gaps if gap[0] != recording_id}
        self._tracks = {key: track for key, track in self._tracks.items() if key[0] != recording_id}
