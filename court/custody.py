"""What holding a courtroom's lease means on this node (court/leases.py calls these).

Gaining a courtroom continues its running recording here and puts its program feed back on
air; losing it stops recording it here (without ending the recording) and switching its
program, and hangs up its cameras and viewers, who reconnect to the new holder. Each renewal
reserves numbers beyond those used so far, so a node taking over never writes an object key
this one may still hold in its spool, and says what the public sees live of each room
(court/live/shown_rooms.py), for the processes that answer the public list without holding it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from court.archiving import Archive
from court.crash_resume import RecoveredSpool, continue_recording
from court.live.shown_rooms import shown_here
from court.live.viewers import ViewerRegistry
from court.program import ProgramDesk
from court.publications import Publications
from court.recordings import Recordings
from storage.db import Database
from storage.leases import Lease, Reservation
from storage.models import Courtroom, Recording

log = logging.getLogger(__name__)

EPOCHS_AHEAD = 8  # camera reconnections a holder may make between two renewals
SEQUENCES_AHEAD = 64  # segments: far more than a holder cuts before it must let go
HANDOVER_UPLOAD_S = 30.0  # a drain waits this long for a courtroom's segments to be stored


class CourtroomCustody:
    def __init__(
        self,
        *,
        db: Database,
        archive: Archive,
        recordings: Recordings,
        publications: Publications,
        viewers: ViewerRegistry,
        program: ProgramDesk,
        recovered: RecoveredSpool,
    ) -> None:
        self._db = db
        self._program = program
        self._archive = archive
        self._recordings = recordings
        self._publications = publications
        self._viewers = viewers
        self.recovered = recovered

    async def gained(self, courtroom_id: str, reason: str, previous: Lease | None) -> None:
        """Put the courtroom's program back on air, then continue its running recording here,
        if it has one (the program's track with it)."""
        async with self._db.session() as session:
            courtroom = await session.get(Courtroom, courtroom_id)
            if courtroom is not None:
                await self._program.restore(session, courtroom)
            running = list(
                await session.scalars(
                    select(Recording).where(
                        Recording.courtroom_id == courtroom_id, Recording.status == "recording"
                    )
                )
            )
        for recording in running:
            if self._recordings.is_running(recording.id):
                continue
            reserved = previous.reserved.get(recording.id, {}) if previous else {}
            await continue_recording(
                self._db,
                self._archive,
                self._recordings,
                recording,
                reason=reason,
                spooled=self.recovered.take(recording.id),
                reserved=reserved,
            )

    async def lost(self, courtroom_id: str, reason: str) -> None:
        """Stop everything live of the courtroom on this node; its new holder goes on (and
        opens the gaps, with `reason`, where this node's stored footage ends)."""
        log.warning("courtroom %s leaves this node (%s)", courtroom_id, reason)
        for recording_id in self._recordings.running_in(courtroom_id):
            await self._recordings.abandon(recording_id)
        self._program.forget(courtroom_id)
        await self._publications.hang_up_courtroom(courtroom_id)
        await self._viewers.close_where(lambda watching: watching.courtroom_id == courtroom_id)

    async def hand_over(self, courtroom_id: str) -> Reservation:
        """Finish recording the courtroom here and store what was recorded (drain)."""
        reserved: Reservation = {}
        for recording_id in self._recordings.running_in(courtroom_id):
            numbered = await self._recordings.abandon(recording_id)
            reserved[recording_id] = _ahead(numbered)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._recordings.uploader.drain(recording_id), HANDOVER_UPLOAD_S
                )
        return reserved

    def reservations(self) -> dict[str, Reservation]:
        return {
            courtroom_id: {rec: _ahead(numbered) for rec, numbered in recordings.items()}
            for courtroom_id, recordings in self._recordings.numbered().items()
        }

    def cameras(self) -> int:
        return self._publications.count()

    def shown(self, courtroom_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """What the public sees live of each of these rooms held here, as lease rows keep it."""
        return {
            room: shown_here(self._publications, self._program, room).to_json()
            for room in courtroom_ids
        }


def _ahead(numbered: dict[str, tuple[int, int]]) -> dict[str, list[int]]:
    return {
        camera: [epoch + EPOCHS_AHEAD, sequence + SEQUENCES_AHEAD]
        for camera, (epoch, sequence) in numbered.items()
    }
